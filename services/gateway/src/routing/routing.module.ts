import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { ApiKeyDirectoryModule } from '@tollgate/platform';
import { ResilienceModule } from '../resilience';
import { GatewayAdminController } from './gateway-admin.controller';
import { Router } from './router';
import { ROUTING_CONFIG } from './routing.config';
import type { RoutingConfig } from './routing.config';

/**
 * Routing plus inline recovery for the gateway: provides Router, CircuitBreakers and InlineRecovery
 * (re-exported from ResilienceModule) and serves /api/v1/gateway/{routes,circuit-breakers}.
 */
@Module({})
export class RoutingModule {
  static register(config: RoutingConfig): DynamicModule {
    const resilience = ResilienceModule.register(config.resilience);
    return {
      module: RoutingModule,
      imports: [ApiKeyDirectoryModule, resilience],
      controllers: [GatewayAdminController],
      providers: [{ provide: ROUTING_CONFIG, useValue: config }, Router],
      exports: [Router, resilience],
    };
  }
}
