import Decimal from 'decimal.js';
import { CostRecordedV1, LlmCallV1 } from '@tollgate/contracts';
import { createTestDatabase, expectEventually, llmCallEvent } from '@tollgate/testing';
import type { TestDatabase } from '@tollgate/testing';
import { ModelCostLog } from '../src/cost-logs/entities/model-cost-log.entity';
import { captureTopic, startLedgerApp } from './support/ledger-app';
import type { LedgerApp } from './support/ledger-app';

interface AccuracyCase {
  name: string;
  provider: string;
  /** The routed model (for Azure: the deployment name). */
  model: string;
  responseModel: string | null;
  occurredAt: string;
  /** Normalised by the gateway to OpenAI's convention: input includes cached tokens, output includes reasoning tokens. */
  usage: { inputTokens: number; outputTokens: number; cachedReadTokens: number; cacheWriteTokens: number; reasoningTokens: number };
  /** Worked out by hand from data/default-catalog.json, in micro-dollars. */
  micro: string;
}

const TABLE: AccuracyCase[] = [
  // gpt-5 $1.25 in, $0.125 cached, $10 out; reasoning tokens are billed as output.
  // 2000 uncached * 1.25 + 8000 cached * 0.125 + 2000 output * 10 = 2500 + 1000 + 20000
  { name: 'OpenAI gpt-5, cached and reasoning tokens', provider: 'openai', model: 'gpt-5', responseModel: 'gpt-5-2025-08-07', occurredAt: '2026-11-01T12:00:00Z', usage: { inputTokens: 10_000, cachedReadTokens: 8_000, cacheWriteTokens: 0, outputTokens: 2_000, reasoningTokens: 1_500 }, micro: '23500' },
  // gpt-4o-mini $0.15 / $0.075 / $0.60: 210 * 0.15 + 1024 * 0.075 + 321 * 0.60 = 31.5 + 76.8 + 192.6
  { name: 'OpenAI gpt-4o-mini, cached tokens, fractions of a micro-dollar', provider: 'openai', model: 'gpt-4o-mini', responseModel: null, occurredAt: '2026-11-01T12:00:00Z', usage: { inputTokens: 1_234, cachedReadTokens: 1_024, cacheWriteTokens: 0, outputTokens: 321, reasoningTokens: 0 }, micro: '300.9' },
  // o3 at its launch price ($10 / $40): 1000 * 10 + 500 * 40
  { name: 'OpenAI o3 before the 2025-06-10 price cut', provider: 'openai', model: 'o3', responseModel: null, occurredAt: '2025-05-01T00:00:00Z', usage: { inputTokens: 1_000, cachedReadTokens: 0, cacheWriteTokens: 0, outputTokens: 500, reasoningTokens: 400 }, micro: '30000' },
  // o3 after the cut ($2 / $8): 1000 * 2 + 500 * 8
  { name: 'OpenAI o3 after the price cut', provider: 'openai', model: 'o3', responseModel: null, occurredAt: '2025-07-01T00:00:00Z', usage: { inputTokens: 1_000, cachedReadTokens: 0, cacheWriteTokens: 0, outputTokens: 500, reasoningTokens: 400 }, micro: '6000' },
  // Anthropic usage input_tokens=1000, cache_creation_input_tokens=2000, cache_read_input_tokens=10000, output_tokens=500,
  // normalised to input 13000. Sonnet 4.5 $3 in, $3.75 cache write, $0.30 cache read, $15 out:
  // 1000 * 3 + 2000 * 3.75 + 10000 * 0.30 + 500 * 15 = 3000 + 7500 + 3000 + 7500
  { name: 'Anthropic claude-sonnet-4-5 (dated id), cache creation and cache reads', provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', responseModel: 'claude-sonnet-4-5-20250929', occurredAt: '2026-11-01T12:00:00Z', usage: { inputTokens: 13_000, cachedReadTokens: 10_000, cacheWriteTokens: 2_000, outputTokens: 500, reasoningTokens: 0 }, micro: '21000' },
  // Anthropic input_tokens=9000, cache_creation=1000, cache_read=40000, output=1200 of which 800 thinking.
  // Haiku 4.5 $1 / $1.25 / $0.10 / $5: 9000 * 1 + 1000 * 1.25 + 40000 * 0.10 + 1200 * 5 = 9000 + 1250 + 4000 + 6000
  { name: 'Anthropic claude-haiku-4-5, thinking billed as output', provider: 'anthropic', model: 'claude-haiku-4-5', responseModel: null, occurredAt: '2026-11-01T12:00:00Z', usage: { inputTokens: 50_000, cachedReadTokens: 40_000, cacheWriteTokens: 1_000, outputTokens: 1_200, reasoningTokens: 800 }, micro: '20250' },
  // Azure deployment "prod-4o" serving gpt-4o (priced by the model the response names), $2.50 / $1.25 / $10:
  // 1976 * 2.50 + 1024 * 1.25 + 700 * 10 = 4940 + 1280 + 7000
  { name: 'Azure OpenAI gpt-4o behind a custom deployment name', provider: 'azure-openai', model: 'prod-4o', responseModel: 'gpt-4o-2024-11-20', occurredAt: '2026-11-01T12:00:00Z', usage: { inputTokens: 3_000, cachedReadTokens: 1_024, cacheWriteTokens: 0, outputTokens: 700, reasoningTokens: 0 }, micro: '13220' },
  // Azure o4-mini $1.10 / $4.40: 2000 * 1.10 + 3000 * 4.40 = 2200 + 13200
  { name: 'Azure OpenAI o4-mini with reasoning', provider: 'azure-openai', model: 'o4-mini', responseModel: null, occurredAt: '2026-11-01T12:00:00Z', usage: { inputTokens: 2_000, cachedReadTokens: 0, cacheWriteTokens: 0, outputTokens: 3_000, reasoningTokens: 2_500 }, micro: '15400' },
  // mock/echo $1 / $2: 1234 * 1 + 567 * 2
  { name: 'mock echo', provider: 'mock', model: 'echo', responseModel: 'echo', occurredAt: '2026-11-01T12:00:00Z', usage: { inputTokens: 1_234, cachedReadTokens: 0, cacheWriteTokens: 0, outputTokens: 567, reasoningTokens: 0 }, micro: '2368' },
];

describe('ledger accuracy against the default catalog (costs worked out by hand)', () => {
  let db: TestDatabase;
  let ledger: LedgerApp;
  let recorded: ReturnType<typeof captureTopic<typeof CostRecordedV1>>;
  const events = TABLE.map((row) =>
    llmCallEvent({
      tenantId: 'ten_accuracy',
      occurredAt: row.occurredAt,
      requestedModel: `${row.provider}/${row.model}`,
      route: { provider: row.provider, model: row.model, deployment: null, region: null, rule: 'direct', reason: null, policyVersion: null, candidates: [] },
      responseModel: row.responseModel,
      usage: { ...row.usage, totalTokens: row.usage.inputTokens + row.usage.outputTokens, source: 'provider' },
    }),
  );

  beforeAll(async () => {
    db = await createTestDatabase();
    ledger = await startLedgerApp(db.url, []);
    recorded = captureTopic(ledger.broker, CostRecordedV1);
    for (const event of events) await ledger.publisher.publish(LlmCallV1, event);
    await expectEventually(async () => expect(await ledger.dataSource.getRepository(ModelCostLog).countBy({ tenantId: 'ten_accuracy' })).toBe(TABLE.length));
  });

  afterAll(async () => {
    await ledger?.close();
    await db?.drop();
  });

  it.each(TABLE.map((row, i) => [row.name, row, i] as const))('%s: the row and its cost.recorded match to the micro-dollar', async (_name, row, i) => {
    const stored = await ledger.dataSource.getRepository(ModelCostLog).findOneByOrFail({ callId: events[i].callId });
    const expectedUsd = new Decimal(row.micro).div(1_000_000);
    expect(stored.priceStatus).toBe('priced');
    expect(new Decimal(stored.usdCost ?? 'NaN').equals(expectedUsd)).toBe(true);
    expect(stored.priceVersion).toBe('catalog-2026-11-21');
    await expectEventually(() => expect(recorded.events.find((e) => e.callId === events[i].callId)?.usdCost).toBe(expectedUsd.toFixed()));
  });

  it("adds the table up in the tenant's daily aggregates exactly as the rows do", async () => {
    const [agg] = (await ledger.dataSource.query(`SELECT sum(usd_cost)::text AS usd, sum(calls)::int AS calls FROM daily_cost_aggregates WHERE tenant_id = 'ten_accuracy' AND dimension = 'tenant'`)) as Array<{ usd: string; calls: number }>;
    const expected = TABLE.reduce((sum, row) => sum.plus(row.micro), new Decimal(0)).div(1_000_000);
    expect(agg.calls).toBe(TABLE.length);
    expect(new Decimal(agg.usd).equals(expected)).toBe(true);
  });
});
