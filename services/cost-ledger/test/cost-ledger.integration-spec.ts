import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { DataSource, Repository } from 'typeorm';
import { GovernanceApiKeySnapshotV1, LlmCallV1 } from '@tollgate/contracts';
import { EVENT_PUBLISHER, MessagingModule, startEventConsumers } from '@tollgate/messaging';
import type { EventPublisher } from '@tollgate/messaging';
import { PersistenceModule, dataSourceToken } from '@tollgate/persistence';
import { ApiKeyDirectory, OpenAiExceptionFilter, PlatformModule } from '@tollgate/platform';
import { createTestDatabase, expectEventually, llmCallEvent, tenantWithKey } from '@tollgate/testing';
import type { TestDatabase } from '@tollgate/testing';
import { CostLedgerModule } from '../src/cost-ledger.module';
import { CostLedgerService } from '../src/cost-logs/cost-ledger.service';
import { ModelCostLog } from '../src/cost-logs/entities/model-cost-log.entity';

describe('cost-ledger against real Postgres', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let baseUrl: string;
  let publisher: EventPublisher;
  let logs: Repository<ModelCostLog>;
  const acme = tenantWithKey('ten_acme');
  const globex = tenantWithKey('ten_globex');

  beforeAll(async () => {
    db = await createTestDatabase();
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformModule,
        PersistenceModule.forRoot({ url: db.url, poolSize: 4 }),
        MessagingModule.forRoot({ transport: { kind: 'in-process' } }),
        CostLedgerModule.register({ TOLLGATE_LEDGER_BATCH_SIZE: 500, TOLLGATE_BUDGET_STATE_INTERVAL_MS: 1000 }),
      ],
    }).compile();
    app = moduleRef.createNestApplication();
    app.useGlobalFilters(new OpenAiExceptionFilter());
    await startEventConsumers(app);
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    publisher = app.get(EVENT_PUBLISHER);
    logs = app.get<DataSource>(dataSourceToken('cost-ledger')).getRepository(ModelCostLog);
    await publisher.publish(GovernanceApiKeySnapshotV1, acme.snapshot);
    await publisher.publish(GovernanceApiKeySnapshotV1, globex.snapshot);
    const directory = app.get(ApiKeyDirectory);
    await expectEventually(() => expect(directory.resolve(globex.key)?.tenantId).toBe('ten_globex'));
    await expectEventually(() => expect(directory.resolve(acme.key)?.tenantId).toBe('ten_acme'));
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const get = (path: string, key: string) => fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });

  it('writes exactly one row when the same event arrives twice', async () => {
    const duplicated = llmCallEvent({ tenantId: 'ten_acme' });
    const marker = llmCallEvent({ tenantId: 'ten_acme' });
    await publisher.publish(LlmCallV1, duplicated);
    await publisher.publish(LlmCallV1, duplicated);
    // Same key, same group: delivered in order, so once the marker's row exists both copies were handled.
    await publisher.publish(LlmCallV1, marker);
    await expectEventually(async () => expect(await logs.countBy({ callId: marker.callId })).toBe(1));
    expect(await logs.countBy({ callId: duplicated.callId })).toBe(1);
  });

  it('records nothing new when the service is handed an event it already has', async () => {
    const ledger = app.get(CostLedgerService);
    const event = llmCallEvent({ tenantId: 'ten_acme' });
    expect(await ledger.record(event)).toBe(true);
    expect(await ledger.record({ ...event, id: llmCallEvent().id })).toBe(false);
    expect(await logs.countBy({ callId: event.callId })).toBe(1);
  });

  it('prices a mock call exactly and marks an unknown model unpriced instead of free', async () => {
    const ledger = app.get(CostLedgerService);
    // mock/echo: $1.00/M input, $2.00/M output → 1234*1 + 567*2 = 2368 micro-dollars
    const priced = llmCallEvent({ tenantId: 'ten_acme', usage: { inputTokens: 1234, outputTokens: 567, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 1801, source: 'provider' } });
    const unpriced = llmCallEvent({ tenantId: 'ten_acme', route: { ...llmCallEvent().route!, provider: 'openai', model: 'gpt-unreleased' } });
    await ledger.record(priced);
    await ledger.record(unpriced);
    const [p, u] = await Promise.all([logs.findOneByOrFail({ callId: priced.callId }), logs.findOneByOrFail({ callId: unpriced.callId })]);
    expect(p).toMatchObject({ priceStatus: 'priced', usdCost: '0.002368000000', priceVersion: 'catalog-2026-11-21', priceSource: 'default' });
    expect(u).toMatchObject({ priceStatus: 'unpriced', usdCost: null, model: 'gpt-unreleased' });
  });

  it("lists only the calling tenant's rows, newest first, with cursor pagination", async () => {
    const base = Date.parse('2026-11-01T00:00:00Z');
    for (let i = 0; i < 5; i += 1) {
      await publisher.publish(LlmCallV1, llmCallEvent({ tenantId: 'ten_globex', occurredAt: new Date(base + i * 1000).toISOString(), attribution: { agentId: `agent-${i % 2}`, workflowId: null, nodeId: null, sessionId: null } }));
    }
    await expectEventually(async () => expect(await logs.countBy({ tenantId: 'ten_globex' })).toBe(5));

    const first = await get('/api/v1/cost-logs?limit=2', globex.key);
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as { object: string; data: Array<{ occurred_at: string; usd_cost: string }>; next_cursor: string };
    expect(page1.object).toBe('list');
    expect(page1.data.map((r) => r.occurred_at)).toEqual([new Date(base + 4000).toISOString(), new Date(base + 3000).toISOString()]);
    expect(page1.data[0].usd_cost).toBe('0.0002');
    const page2 = (await (await get(`/api/v1/cost-logs?limit=2&cursor=${page1.next_cursor}`, globex.key)).json()) as { data: Array<{ occurred_at: string }>; next_cursor: string };
    const page3 = (await (await get(`/api/v1/cost-logs?limit=2&cursor=${page2.next_cursor}`, globex.key)).json()) as { data: unknown[]; next_cursor: string | null };
    expect(page2.data.map((r) => r.occurred_at)).toEqual([new Date(base + 2000).toISOString(), new Date(base + 1000).toISOString()]);
    expect(page3.data).toHaveLength(1);
    expect(page3.next_cursor).toBeNull();

    const filtered = (await (await get('/api/v1/cost-logs?agent_id=agent-1', globex.key)).json()) as { data: unknown[] };
    expect(filtered.data).toHaveLength(2);

    const acmeView = (await (await get('/api/v1/cost-logs?limit=500', acme.key)).json()) as { data: Array<{ call_id: string }> };
    const globexCalls = new Set((await logs.findBy({ tenantId: 'ten_globex' })).map((r) => r.callId));
    expect(acmeView.data.length).toBeGreaterThan(0);
    expect(acmeView.data.filter((r) => globexCalls.has(r.call_id))).toEqual([]);
  });

  it('answers bad queries and bad keys with 4xx errors in the OpenAI shape', async () => {
    const cases: Array<[string, string, number, string]> = [
      ['/api/v1/cost-logs?limit=0', acme.key, 400, 'limit'],
      ['/api/v1/cost-logs?limit=abc', acme.key, 400, 'limit'],
      ['/api/v1/cost-logs?from=yesterday', acme.key, 400, 'from'],
      ['/api/v1/cost-logs?cursor=bm9wZQ', acme.key, 400, 'cursor'],
      ['/api/v1/cost-logs?colour=red', acme.key, 400, 'colour'],
      ['/api/v1/cost-logs', 'tg-not-a-real-key-000000000000', 401, ''],
    ];
    for (const [path, key, status, param] of cases) {
      const res = await get(path, key);
      const body = (await res.json()) as { error: { message: string; type: string; param: string | null } };
      expect({ path, status: res.status }).toEqual({ path, status });
      expect(body.error.message.length).toBeGreaterThan(10);
      if (param) expect(body.error).toMatchObject({ type: 'invalid_request_error', param });
      else expect(body.error.type).toBe('authentication_error');
    }
  });
});
