import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { MessagingModule, startEventConsumers } from '@tollgate/messaging';
import { PersistenceModule, dataSourceToken } from '@tollgate/persistence';
import { ApiKeyDirectory, ApiKeyDirectoryModule, PlatformModule, generateApiKey, hashApiKey } from '@tollgate/platform';
import { createTestDatabase, expectEventually } from '@tollgate/testing';
import type { TestDatabase } from '@tollgate/testing';
import type { GuardrailsConfig } from '../src/config/guardrails.config';
import { GuardrailsModule } from '../src/guardrails.module';
import { BootstrapTenantService } from '../src/tenants/bootstrap-tenant.service';
import { ApiKey } from '../src/tenants/entities/api-key.entity';
import { Tenant } from '../src/tenants/entities/tenant.entity';

async function startGuardrails(url: string, config: GuardrailsConfig): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [PlatformModule, PersistenceModule.forRoot({ url, poolSize: 3 }), MessagingModule.forRoot({ transport: { kind: 'in-process' } }), GuardrailsModule.register(config), ApiKeyDirectoryModule],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await startEventConsumers(app);
  await app.init();
  return app;
}

describe('guardrails bootstrap tenant', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  it('stores a configured key only as its hash and publishes it, so the directory accepts it', async () => {
    const key = generateApiKey();
    const app = await startGuardrails(db.url, { TOLLGATE_BOOTSTRAP_KEY: key, TOLLGATE_BOOTSTRAP_TENANT: 'acme' });
    try {
      const ds = app.get<DataSource>(dataSourceToken('guardrails'));
      const keys = await ds.getRepository(ApiKey).find();
      expect(keys).toHaveLength(1);
      expect(keys[0].hash).toBe(hashApiKey(key));
      const stored = JSON.stringify(await ds.query('SELECT * FROM guardrails.api_keys'));
      expect(stored).not.toContain(key);
      const directory = app.get(ApiKeyDirectory);
      await expectEventually(() => expect(directory.resolve(key)).toMatchObject({ tenantName: 'acme', plan: 'pro', region: 'global', privacyMode: 'metadata' }));
    } finally {
      await app.close();
    }
  });

  it('generates a key only on the first start and never again', async () => {
    const app = await startGuardrails(db.url, { TOLLGATE_BOOTSTRAP_TENANT: 'default' });
    try {
      const service = app.get(BootstrapTenantService);
      const again = await service.ensureBootstrapTenant();
      expect(again.generatedKey).toBeNull();
      const ds = app.get<DataSource>(dataSourceToken('guardrails'));
      expect(await ds.getRepository(ApiKey).count()).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('creates one tenant and one key when replicas bootstrap at the same time', async () => {
    const app = await startGuardrails(db.url, { TOLLGATE_BOOTSTRAP_TENANT: 'race' });
    try {
      const ds = app.get<DataSource>(dataSourceToken('guardrails'));
      await ds.query('DELETE FROM guardrails.api_keys');
      await ds.query('DELETE FROM guardrails.tenants');
      const service = app.get(BootstrapTenantService);
      const results = await Promise.all(Array.from({ length: 5 }, () => service.ensureBootstrapTenant()));
      expect(results.filter((r) => r.generatedKey !== null)).toHaveLength(1);
      expect(new Set(results.map((r) => r.tenantId)).size).toBe(1);
      expect(await ds.getRepository(Tenant).count()).toBe(1);
      expect(await ds.getRepository(ApiKey).count()).toBe(1);
    } finally {
      await app.close();
    }
  });
});
