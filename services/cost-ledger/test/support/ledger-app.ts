import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { GovernanceApiKeySnapshotV1 } from '@tollgate/contracts';
import type { EventContract, EventOf } from '@tollgate/contracts';
import { EVENT_PUBLISHER, InProcessBroker, MessagingModule, startEventConsumers } from '@tollgate/messaging';
import type { EventPublisher } from '@tollgate/messaging';
import { PersistenceModule, dataSourceToken } from '@tollgate/persistence';
import { ApiKeyDirectory, OpenAiExceptionFilter, PlatformModule } from '@tollgate/platform';
import { expectEventually } from '@tollgate/testing';
import type { tenantWithKey } from '@tollgate/testing';
import type { CostLedgerConfig } from '../../src/config/cost-ledger.config';
import { CostLedgerModule } from '../../src/cost-ledger.module';

export type TestTenant = ReturnType<typeof tenantWithKey>;

export interface LedgerApp {
  app: INestApplication;
  baseUrl: string;
  publisher: EventPublisher;
  broker: InProcessBroker;
  dataSource: DataSource;
  /** Authenticated JSON request to the app; resolves with status and parsed body. */
  request<T = unknown>(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export const TEST_CONFIG: CostLedgerConfig = { TOLLGATE_LEDGER_BATCH_SIZE: 500, TOLLGATE_BUDGET_STATE_INTERVAL_MS: 50 };

/** The cost-ledger as it runs in the all-in-one process (in-process bus), on a test database, with tenants' keys loaded. */
export async function startLedgerApp(databaseUrl: string, tenants: readonly TestTenant[], config: Partial<CostLedgerConfig> = {}): Promise<LedgerApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      PlatformModule,
      PersistenceModule.forRoot({ url: databaseUrl, poolSize: 8 }),
      MessagingModule.forRoot({ transport: { kind: 'in-process' }, retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 5 } }),
      CostLedgerModule.register({ ...TEST_CONFIG, ...config }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  app.useGlobalFilters(new OpenAiExceptionFilter());
  await startEventConsumers(app);
  await app.listen(0, '127.0.0.1');
  const baseUrl = await app.getUrl();
  const publisher = app.get<EventPublisher>(EVENT_PUBLISHER);
  for (const tenant of tenants) await publisher.publish(GovernanceApiKeySnapshotV1, tenant.snapshot);
  const directory = app.get(ApiKeyDirectory);
  for (const tenant of tenants) await expectEventually(() => expect(directory.resolve(tenant.key)?.tenantId).toBe(tenant.snapshot.tenantId));
  return {
    app,
    baseUrl,
    publisher,
    broker: app.get(InProcessBroker),
    dataSource: app.get<DataSource>(dataSourceToken('cost-ledger')),
    async request<T>(method: string, path: string, key: string, body?: unknown) {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as T };
    },
    close: () => app.close(),
  };
}

/** Everything published on a topic from now on, decoded: a test's view of what a downstream consumer would get. */
export function captureTopic<C extends EventContract>(broker: InProcessBroker, contract: C, group = `test-${Math.random().toString(36).slice(2)}`): { events: Array<EventOf<C>>; stop(): void } {
  const events: Array<EventOf<C>> = [];
  const subscription = broker.subscribe(contract.topic, group, async (message) => {
    events.push(JSON.parse(message.value.toString('utf8')) as EventOf<C>);
  });
  subscription.start();
  return { events, stop: () => subscription.unsubscribe() };
}
