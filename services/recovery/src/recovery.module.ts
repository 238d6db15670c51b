import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { RecoveryConfig } from './config/recovery.config';

/**
 * Recovery: durable retries, reroutes and escalation for async jobs and failed calls.
 * Its features arrive with its own issue; until then the service runs, reports health and stops
 * cleanly, and owns no schema yet (it adds `PersistenceModule.forService` with schema `recovery`).
 */
@Module({})
export class RecoveryModule {
  static register(_config: RecoveryConfig): DynamicModule {
    return { module: RecoveryModule };
  }
}
