import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { TraceApiConfig } from './config/trace-api.config';

/**
 * Trace API: customer-facing traces with search, export and share links, the telemetry endpoint and the UI.
 * Its features arrive with its own issue; until then the service runs, reports health and stops
 * cleanly, and owns no schema yet (it adds `PersistenceModule.forService` with schema `trace_api`).
 */
@Module({})
export class TraceApiModule {
  static register(_config: TraceApiConfig): DynamicModule {
    return { module: TraceApiModule };
  }
}
