import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@tollgate/messaging';
import { PlatformModule, busSettings } from '@tollgate/platform';
import { TelemetryModule } from '@tollgate/telemetry';
import type { TraceApiServiceEnv } from './config/trace-api.config';
import { TraceApiModule } from './trace-api.module';

/** TraceApi as its own process (cluster mode). */
@Module({})
export class TraceApiAppModule {
  static forRoot(env: TraceApiServiceEnv): DynamicModule {
    return {
      module: TraceApiAppModule,
      imports: [PlatformModule, TelemetryModule, MessagingModule.forRoot({ transport: busSettings(env, 'kafka') }), TraceApiModule.register(env)],
    };
  }
}
