import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@tollgate/messaging';
import { PlatformModule, busSettings } from '@tollgate/platform';
import { TelemetryModule } from '@tollgate/telemetry';
import type { RecoveryServiceEnv } from './config/recovery.config';
import { RecoveryModule } from './recovery.module';

/** Recovery as its own process (cluster mode). */
@Module({})
export class RecoveryAppModule {
  static forRoot(env: RecoveryServiceEnv): DynamicModule {
    return {
      module: RecoveryAppModule,
      imports: [PlatformModule, TelemetryModule, MessagingModule.forRoot({ transport: busSettings(env, 'kafka') }), RecoveryModule.register(env)],
    };
  }
}
