import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { GovernanceApiKeySnapshotV1 } from '@tollgate/contracts';
import type { EventContract, EventOf, GovernanceApiKeySnapshotV1 as Snapshot } from '@tollgate/contracts';
import { EVENT_PUBLISHER, MessagingModule, startEventConsumers } from '@tollgate/messaging';
import type { EventPublisher } from '@tollgate/messaging';
import { ApiKeyDirectory, OpenAiExceptionFilter, PlatformModule, loadConfig } from '@tollgate/platform';
import { expectEventually } from '@tollgate/testing';
import { GatewayEnvSchema } from '../../src/config/gateway.config';
import { GatewayModule } from '../../src/gateway.module';

export interface GatewayTestApp {
  app: INestApplication;
  /** The OpenAI base URL of this app (`…/v1`). */
  baseURL: string;
  publish<C extends EventContract>(contract: C, event: EventOf<C>): Promise<void>;
  /** Publishes tenants' API-key snapshots and waits until every key authenticates. */
  addTenants(...tenants: Array<{ key: string; snapshot: Snapshot }>): Promise<void>;
}

/**
 * The gateway module over real HTTP on a free port, on the in-process bus, with the OpenAI error
 * filter, as the integration tests use it. `env` is the gateway's environment; `controllers` can
 * add probes that consume the app's events.
 */
export async function startGatewayTestApp(env: Record<string, string>, controllers: Type[] = []): Promise<GatewayTestApp> {
  const config = loadConfig(GatewayEnvSchema, env);
  const moduleRef = await Test.createTestingModule({
    imports: [PlatformModule, MessagingModule.forRoot({ transport: { kind: 'in-process' } }), GatewayModule.register(config)],
    controllers,
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useGlobalFilters(new OpenAiExceptionFilter());
  await startEventConsumers(app);
  await app.listen(0, '127.0.0.1');
  const publisher = app.get<EventPublisher>(EVENT_PUBLISHER);
  const publish = <C extends EventContract>(contract: C, event: EventOf<C>): Promise<void> => publisher.publish(contract, event);
  return {
    app,
    baseURL: `${await app.getUrl()}/v1`,
    publish,
    async addTenants(...tenants) {
      for (const tenant of tenants) await publish(GovernanceApiKeySnapshotV1, tenant.snapshot);
      const directory = app.get(ApiKeyDirectory);
      for (const tenant of tenants) await expectEventually(() => expect(directory.resolve(tenant.key)).toBeDefined());
    },
  };
}
