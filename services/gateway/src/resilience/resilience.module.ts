import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { CircuitBreakers } from './circuit-breakers';
import { InlineRecovery } from './inline-recovery';
import { RESILIENCE_CONFIG } from './resilience.config';
import type { ResilienceConfig } from './resilience.config';

/** Circuit breakers (one per deployment, process-wide) and inline recovery for provider calls. */
@Module({})
export class ResilienceModule {
  static register(config: ResilienceConfig): DynamicModule {
    return {
      module: ResilienceModule,
      providers: [{ provide: RESILIENCE_CONFIG, useValue: config }, CircuitBreakers, InlineRecovery],
      exports: [CircuitBreakers, InlineRecovery],
    };
  }
}
