import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@tollgate/messaging';
import { PlatformModule, busSettings } from '@tollgate/platform';
import { TelemetryModule } from '@tollgate/telemetry';
import type { GatewayServiceEnv } from './config/gateway.config';
import { GatewayModule } from './gateway.module';

/** The gateway as its own process (cluster mode). */
@Module({})
export class GatewayAppModule {
  static forRoot(env: GatewayServiceEnv): DynamicModule {
    return {
      module: GatewayAppModule,
      imports: [PlatformModule, TelemetryModule, MessagingModule.forRoot({ transport: busSettings(env, 'kafka') }), GatewayModule.register(env)],
    };
  }
}
