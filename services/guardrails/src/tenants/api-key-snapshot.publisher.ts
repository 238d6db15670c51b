import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ulid } from 'ulid';
import { GovernanceApiKeySnapshotV1 } from '@tollgate/contracts';
import { EVENT_PUBLISHER } from '@tollgate/messaging';
import type { EventPublisher } from '@tollgate/messaging';
import { InjectDataSource } from '@tollgate/persistence';
import { ApiKey } from './entities/api-key.entity';
import { Tenant } from './entities/tenant.entity';

/**
 * Publishes a tenant's whole key set to the compacted `governance.apikey` topic: gateways and
 * other services authenticate from that copy and never call guardrails on the hot path.
 */
@Injectable()
export class ApiKeySnapshotPublisher {
  constructor(
    @InjectDataSource('guardrails') private readonly dataSource: DataSource,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
  ) {}

  async publishTenant(tenantId: string): Promise<void> {
    const tenant = await this.dataSource.getRepository(Tenant).findOneByOrFail({ id: tenantId });
    const keys = await this.dataSource.getRepository(ApiKey).find({ where: { tenantId }, order: { createdAt: 'ASC' } });
    await this.publisher.publish(GovernanceApiKeySnapshotV1, {
      id: ulid(),
      type: 'governance.apikey',
      version: 1,
      occurredAt: new Date().toISOString(),
      tenantId: tenant.id,
      tenant: { name: tenant.name, plan: tenant.plan, region: tenant.region, privacyMode: tenant.privacyMode, active: tenant.active },
      keys: keys.map((k) => ({
        id: k.id,
        hash: k.hash,
        prefix: k.prefix,
        userId: k.userId,
        active: k.active,
        expiresAt: k.expiresAt ? k.expiresAt.toISOString() : null,
      })),
    });
  }

  /** Every tenant, e.g. at start-up, so that a fresh topic or an in-process bus has the state. */
  async publishAll(): Promise<number> {
    const tenants = await this.dataSource.getRepository(Tenant).find({ select: { id: true } });
    for (const tenant of tenants) await this.publishTenant(tenant.id);
    return tenants.length;
  }
}
