import type { ServiceStorage } from '@tollgate/persistence';
import { CreateTenantsAndApiKeys1763740000000 } from './migrations/1763740000000-create-tenants-and-api-keys';
import { ApiKey } from './tenants/entities/api-key.entity';
import { Tenant } from './tenants/entities/tenant.entity';

export const GUARDRAILS_STORAGE: ServiceStorage = {
  service: 'guardrails',
  schema: 'guardrails',
  entities: [Tenant, ApiKey],
  migrations: [CreateTenantsAndApiKeys1763740000000],
};
