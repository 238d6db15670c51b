import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ulid } from 'ulid';
import { InjectDataSource } from '@tollgate/persistence';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '@tollgate/platform';
import { GUARDRAILS_CONFIG } from '../config/guardrails.config';
import type { GuardrailsConfig } from '../config/guardrails.config';
import { ApiKeySnapshotPublisher } from './api-key-snapshot.publisher';
import { ApiKey } from './entities/api-key.entity';
import { Tenant } from './entities/tenant.entity';

export interface BootstrapResult {
  tenantId: string;
  /** Only when a key was generated right now: the one moment its plaintext exists. */
  generatedKey: string | null;
}

/**
 * Makes a fresh install usable: one tenant and one key. The key comes from TOLLGATE_BOOTSTRAP_KEY,
 * or is generated at the first start, stored hashed and printed once.
 */
@Injectable()
export class BootstrapTenantService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    @InjectDataSource('guardrails') private readonly dataSource: DataSource,
    @Inject(GUARDRAILS_CONFIG) private readonly config: GuardrailsConfig,
    private readonly snapshots: ApiKeySnapshotPublisher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const result = await this.ensureBootstrapTenant();
    if (result.generatedKey) this.announce(result.generatedKey);
    const published = await this.snapshots.publishAll();
    this.logger.log(`published API keys of ${published} tenant(s)`);
  }

  async ensureBootstrapTenant(): Promise<BootstrapResult> {
    // One transaction under an advisory lock: replicas starting together create one tenant, one key.
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['tollgate:bootstrap-tenant']);
      const tenants = manager.getRepository(Tenant);
      const keys = manager.getRepository(ApiKey);
      let tenant = await tenants.findOneBy({ name: this.config.TOLLGATE_BOOTSTRAP_TENANT });
      if (!tenant) {
        tenant = await tenants.save(tenants.create({ id: `ten_${ulid()}`, name: this.config.TOLLGATE_BOOTSTRAP_TENANT, plan: 'pro', region: 'global', privacyMode: 'metadata', active: true }));
        this.logger.log(`created bootstrap tenant "${tenant.name}" (${tenant.id})`);
      }
      const configured = this.config.TOLLGATE_BOOTSTRAP_KEY;
      if (configured) {
        const hash = hashApiKey(configured);
        if (!(await keys.existsBy({ hash }))) {
          await keys.insert({ id: `key_${ulid()}`, tenantId: tenant.id, hash, prefix: apiKeyPrefix(configured), name: 'bootstrap (TOLLGATE_BOOTSTRAP_KEY)', userId: null, active: true, expiresAt: null });
          this.logger.log('stored the key from TOLLGATE_BOOTSTRAP_KEY (hashed)');
        }
        return { tenantId: tenant.id, generatedKey: null };
      }
      if (await keys.existsBy({ tenantId: tenant.id })) return { tenantId: tenant.id, generatedKey: null };
      const key = generateApiKey();
      await keys.insert({ id: `key_${ulid()}`, tenantId: tenant.id, hash: hashApiKey(key), prefix: apiKeyPrefix(key), name: 'bootstrap (generated)', userId: null, active: true, expiresAt: null });
      return { tenantId: tenant.id, generatedKey: key };
    });
  }

  private announce(key: string): void {
    const line = '='.repeat(72);
    process.stdout.write(
      `\n${line}\n Tollgate created an API key for tenant "${this.config.TOLLGATE_BOOTSTRAP_TENANT}".\n` +
        ` It is stored only as a hash and shown this once: copy it now.\n\n    ${key}\n\n` +
        ` Use it as: Authorization: Bearer ${key}\n` +
        ` (To choose your own key instead, set TOLLGATE_BOOTSTRAP_KEY.)\n${line}\n\n`,
    );
  }
}
