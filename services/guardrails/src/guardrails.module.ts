import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { PersistenceModule } from '@tollgate/persistence';
import { GUARDRAILS_CONFIG } from './config/guardrails.config';
import type { GuardrailsConfig } from './config/guardrails.config';
import { GUARDRAILS_STORAGE } from './guardrails.storage';
import { ApiKeySnapshotPublisher } from './tenants/api-key-snapshot.publisher';
import { BootstrapTenantService } from './tenants/bootstrap-tenant.service';

/** Tenants, API keys (hashed) and, in later issues, policies and the governance audit log. */
@Module({})
export class GuardrailsModule {
  static register(config: GuardrailsConfig): DynamicModule {
    return {
      module: GuardrailsModule,
      imports: [PersistenceModule.forService(GUARDRAILS_STORAGE)],
      providers: [{ provide: GUARDRAILS_CONFIG, useValue: config }, ApiKeySnapshotPublisher, BootstrapTenantService],
      exports: [ApiKeySnapshotPublisher],
    };
  }
}
