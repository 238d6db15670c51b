import { LlmCallV1 } from '@tollgate/contracts';
import type { LlmCallV1 as LlmCallEvent } from '@tollgate/contracts';
import { createTestDatabase, expectEventually, llmCallEvent, tenantWithKey } from '@tollgate/testing';
import type { TestDatabase } from '@tollgate/testing';
import { ModelCostLog } from '../src/cost-logs/entities/model-cost-log.entity';
import type { CostEstimateDto, CostSummaryDto, UnpricedUsageDto } from '../src/costs/dto/costs.dto';
import type { PriceDto, RepriceJobDto } from '../src/pricing/dto/pricing.dto';
import { RepricingService } from '../src/pricing/repricing.service';
import { startLedgerApp } from './support/ledger-app';
import type { LedgerApp } from './support/ledger-app';

type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };

const route = (provider: string, model: string) => ({ provider, model, deployment: null, region: null, rule: 'direct', reason: null, policyVersion: null, candidates: [] });
const usage = (input: number, output: number) => ({ inputTokens: input, outputTokens: output, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: input + output, source: 'provider' as const });

describe('cost APIs: summary, unpriced report, estimate, pricing and re-pricing', () => {
  let db: TestDatabase;
  let ledger: LedgerApp;
  const acme = tenantWithKey('ten_acme');
  const globex = tenantWithKey('ten_globex');

  const record = async (events: LlmCallEvent[]): Promise<void> => {
    for (const event of events) await ledger.publisher.publish(LlmCallV1, event);
    await ledger.broker.whenIdle();
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    ledger = await startLedgerApp(db.url, [acme, globex]);
    // acme: 2026-11-01 two mock/echo calls by agent a1 (user u1) in workflow w1, one unpriced call; 2026-11-02 one echo-large call by agent a2.
    await record([
      llmCallEvent({ tenantId: 'ten_acme', occurredAt: '2026-11-01T10:00:00Z', userId: 'u1', attribution: { agentId: 'a1', workflowId: 'w1', nodeId: null, sessionId: null }, usage: usage(1000, 500) }), // 1000*1 + 500*2 = 2000 µ$
      llmCallEvent({ tenantId: 'ten_acme', occurredAt: '2026-11-01T11:00:00Z', userId: 'u1', attribution: { agentId: 'a1', workflowId: 'w1', nodeId: null, sessionId: null }, usage: usage(3000, 0) }), // 3000 µ$
      llmCallEvent({ tenantId: 'ten_acme', occurredAt: '2026-11-01T12:00:00Z', route: route('openai', 'gpt-from-the-future'), requestedModel: 'openai/gpt-from-the-future', usage: usage(777, 1) }),
      llmCallEvent({ tenantId: 'ten_acme', occurredAt: '2026-11-02T09:00:00Z', userId: 'u2', route: route('mock', 'echo-large'), attribution: { agentId: 'a2', workflowId: null, nodeId: null, sessionId: null }, usage: usage(100, 100), providerCostUsd: '0.05' }), // 100*10 + 100*30 = 4000 µ$
      llmCallEvent({ tenantId: 'ten_globex', occurredAt: '2026-11-01T10:00:00Z', attribution: { agentId: 'a1', workflowId: null, nodeId: null, sessionId: null }, usage: usage(1_000_000, 0) }), // $1
    ]);
  });

  afterAll(async () => {
    await ledger?.close();
    await db?.drop();
  });

  const summary = async (key: string, query: string) => ledger.request<CostSummaryDto>('GET', `/api/v1/costs/summary?${query}`, key);

  it('summarises by day from the daily aggregates, counting unpriced calls without adding them as $0', async () => {
    const res = await summary(acme.key, 'group_by=day&from=2026-11-01&to=2026-11-03');
    expect(res.status).toBe(200);
    expect(res.body.data.map((r) => [r.key, r.calls, r.unpriced_calls, r.usd_cost])).toEqual([
      ['2026-11-01', 3, 1, '0.005'],
      ['2026-11-02', 1, 0, '0.004'],
    ]);
    expect(res.body.total).toMatchObject({ calls: 4, unpriced_calls: 1, usd_cost: '0.009', input_tokens: 4877, cost_mismatch_calls: 1, provider_cost_usd: '0.05' });
  });

  it.each([
    ['model', [['mock/echo', 2, '0.005'], ['mock/echo-large', 1, '0.004'], ['openai/gpt-from-the-future', 1, '0']]],
    ['agent', [['a1', 2, '0.005'], ['a2', 1, '0.004'], [null, 1, '0']]],
    ['user', [['u1', 2, '0.005'], ['u2', 1, '0.004'], [null, 1, '0']]],
    ['workflow', [['w1', 2, '0.005'], [null, 2, '0.004']]],
  ])('summarises by %s', async (groupBy, expected) => {
    const res = await summary(acme.key, `group_by=${groupBy}&from=2026-11-01&to=2026-11-03`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((r) => [r.key, r.calls, r.usd_cost]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([...expected].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  });

  it("shows a tenant only its own summary: globex's $1 call never appears for acme, and the other way round", async () => {
    const acmeModels = await summary(acme.key, 'group_by=agent&from=2026-11-01&to=2026-11-03');
    expect(acmeModels.body.total.usd_cost).toBe('0.009');
    const globexDays = await summary(globex.key, 'group_by=day&from=2026-11-01&to=2026-11-03');
    expect(globexDays.body.data).toEqual([expect.objectContaining({ key: '2026-11-01', calls: 1, usd_cost: '1' })]);
  });

  it('flags a call whose provider-reported cost is more than 1% away from Tollgate\'s, and keeps both figures', async () => {
    const res = await ledger.request<{ data: Array<{ usd_cost: string; provider_cost_usd: string | null; cost_mismatch: boolean }> }>('GET', '/api/v1/cost-logs?cost_mismatch=true', acme.key);
    expect(res.body.data).toEqual([expect.objectContaining({ usd_cost: '0.004', provider_cost_usd: '0.05', cost_mismatch: true })]);
    const close = llmCallEvent({ tenantId: 'ten_acme', occurredAt: '2026-11-02T10:00:00Z', usage: usage(1000, 0), providerCostUsd: '0.00100999' }); // 0.999% above $0.001
    await record([close]);
    expect(await ledger.dataSource.getRepository(ModelCostLog).findOneByOrFail({ callId: close.callId })).toMatchObject({ costMismatch: false, providerCostUsd: '0.001009990000' });
  });

  it('lists the unpriced usage by model: what to add prices for', async () => {
    const res = await ledger.request<{ data: UnpricedUsageDto[] }>('GET', '/api/v1/costs/unpriced', acme.key);
    expect(res.body.data).toEqual([{ provider: 'openai', model: 'gpt-from-the-future', calls: 1, input_tokens: 777, output_tokens: 1, first_seen: '2026-11-01T12:00:00.000Z', last_seen: '2026-11-01T12:00:00.000Z' }]);
    expect((await ledger.request<{ data: UnpricedUsageDto[] }>('GET', '/api/v1/costs/unpriced', globex.key)).body.data).toEqual([]);
  });

  it('estimates the most a request can cost before it is sent, from its messages or its token count', async () => {
    // 2000 input * $2.50 + 1000 output * $10 = 5000 + 10000 µ$
    const fromTokens = await ledger.request<CostEstimateDto>('POST', '/api/v1/costs/estimate', acme.key, { model: 'openai/gpt-4o', input_tokens: 2000, max_tokens: 1000 });
    expect(fromTokens).toEqual({ status: 200, body: expect.objectContaining({ price_status: 'priced', input_tokens: 2000, max_output_tokens: 1000, input_usd: '0.005', max_output_usd: '0.01', max_usd: '0.015', input_tokens_source: 'given' }) });
    // "Hello, Tollgate" is 4 o200k tokens, + 4 for the message + 3 priming the reply = 11; no max_tokens: the model's 16384.
    // 11 * $1 + 16384 * $2 = 11 + 32768 µ$
    const fromMessages = await ledger.request<CostEstimateDto>('POST', '/api/v1/costs/estimate', acme.key, { model: 'mock/echo', messages: [{ role: 'user', content: 'Hello, Tollgate' }] });
    expect(fromMessages.body).toMatchObject({ input_tokens: 11, input_tokens_source: 'counted', max_output_tokens: 16384, max_usd: '0.032779' });
    const batch = await ledger.request<CostEstimateDto>('POST', '/api/v1/costs/estimate', acme.key, { model: 'openai/gpt-4o', input_tokens: 2000, max_tokens: 1000, batch: true });
    expect(batch.body.max_usd).toBe('0.0075');
    const unpriced = await ledger.request<CostEstimateDto>('POST', '/api/v1/costs/estimate', acme.key, { model: 'openai/gpt-from-the-future', input_tokens: 10 });
    expect(unpriced.body).toMatchObject({ price_status: 'unpriced', max_usd: null });
  });

  it('serves the default catalog with versions and sources, overlays a custom price for that tenant only, and prices new calls with it', async () => {
    const before = await ledger.request<{ catalog_version: string; data: PriceDto[] }>('GET', '/api/v1/pricing?provider=mock', acme.key);
    expect(before.body.catalog_version).toBe('catalog-2026-11-21');
    expect(before.body.data.map((p) => [p.model, p.origin, p.input_per_mtok])).toEqual([
      ['echo', 'default', '1.00'],
      ['echo-large', 'default', '10.00'],
    ]);
    const put = await ledger.request<{ data: PriceDto[] }>('PUT', '/api/v1/pricing', acme.key, {
      prices: [{ provider: 'mock', model: 'echo', input_per_mtok: '0.5', output_per_mtok: '1', effective_from: '2026-11-05T00:00:00Z', note: 'negotiated' }],
    });
    expect(put.status).toBe(200);
    expect(put.body.data[0]).toMatchObject({ origin: 'tenant', input_per_mtok: '0.5', version: expect.stringMatching(/^tenant@tp_/), source: 'tenant: negotiated' });
    const at = (key: string, instant: string) => ledger.request<{ data: PriceDto[] }>('GET', `/api/v1/pricing?provider=mock&model=echo&at=${instant}`, key);
    expect((await at(acme.key, '2026-11-06T00:00:00Z')).body.data.map((p) => p.input_per_mtok)).toEqual(['0.5']);
    expect((await at(acme.key, '2026-11-04T00:00:00Z')).body.data.map((p) => p.input_per_mtok)).toEqual(['1.00']);
    expect((await at(globex.key, '2026-11-06T00:00:00Z')).body.data.map((p) => p.origin)).toEqual(['default']);

    const acmeCall = llmCallEvent({ tenantId: 'ten_acme', occurredAt: '2026-11-06T00:00:00Z', usage: usage(1000, 1000) });
    const globexCall = llmCallEvent({ tenantId: 'ten_globex', occurredAt: '2026-11-06T00:00:00Z', usage: usage(1000, 1000) });
    await record([acmeCall, globexCall]);
    const rows = ledger.dataSource.getRepository(ModelCostLog);
    expect(await rows.findOneByOrFail({ callId: acmeCall.callId })).toMatchObject({ usdCost: '0.001500000000', priceSource: 'tenant' });
    expect(await rows.findOneByOrFail({ callId: globexCall.callId })).toMatchObject({ usdCost: '0.003000000000', priceSource: 'default' });
  });

  it('re-prices past calls after a correction as one recorded, idempotent job, and moves the aggregates with them', async () => {
    // The correction: echo cost $0.8/$1.6 from 2026-11-01 on, for acme.
    const put = await ledger.request<{ reprice_jobs: RepriceJobDto[] }>('PUT', '/api/v1/pricing', acme.key, {
      prices: [{ provider: 'mock', model: 'echo', input_per_mtok: '0.8', output_per_mtok: '1.6', effective_from: '2026-11-01T00:00:00Z' }],
      reprice: { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' },
    });
    expect(put.status).toBe(200);
    // The two echo calls of 2026-11-01: (1000*0.8 + 500*1.6) + 3000*0.8 = 1600 + 2400 = 4000 µ$, was 5000.
    expect(put.body.reprice_jobs).toEqual([expect.objectContaining({ status: 'completed', rows_examined: 2, rows_changed: 2, usd_delta: '-0.001', provider: 'mock', model: 'echo' })]);
    const day = await summary(acme.key, 'group_by=day&from=2026-11-01&to=2026-11-02');
    expect(day.body.data[0]).toMatchObject({ calls: 3, usd_cost: '0.004' });
    const agent = await summary(acme.key, 'group_by=agent&from=2026-11-01&to=2026-11-02');
    expect(agent.body.data.find((r) => r.key === 'a1')?.usd_cost).toBe('0.004');

    // The same correction asked again (same range, same prices): the same recorded job, nothing re-run.
    const again = await ledger.request<RepriceJobDto>('POST', '/api/v1/pricing/reprice', acme.key, { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z', provider: 'mock', model: 'echo' });
    expect(again.body).toMatchObject({ id: put.body.reprice_jobs[0].id, rows_changed: 2 });
    // A different request over the same rows: a new job, which finds nothing left to change.
    const overlapping = await ledger.request<RepriceJobDto>('POST', '/api/v1/pricing/reprice', acme.key, { from: '2026-11-01T00:00:00Z', to: '2026-11-01T23:59:59Z' });
    expect(overlapping.body).toMatchObject({ status: 'completed', rows_examined: 3, rows_changed: 0, usd_delta: '0', provider: null, model: null });
    expect(overlapping.body.id).not.toBe(again.body.id);
    expect((await summary(acme.key, 'group_by=day&from=2026-11-01&to=2026-11-02')).body.data[0].usd_cost).toBe('0.004');
    const jobs = await ledger.request<{ data: RepriceJobDto[] }>('GET', '/api/v1/pricing/reprice-jobs', acme.key);
    expect(jobs.body.data).toHaveLength(2);
    expect((await ledger.request<{ data: RepriceJobDto[] }>('GET', '/api/v1/pricing/reprice-jobs', globex.key)).body.data).toEqual([]);
    const repriced = await ledger.request<{ data: Array<{ repriced_at: string | null; price_version: string }> }>('GET', '/api/v1/cost-logs?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&model=echo', acme.key);
    expect(repriced.body.data.every((r) => r.repriced_at !== null && r.price_version.startsWith('tenant@'))).toBe(true);
  });

  it('re-prices every tenant after a correction of the default catalog, leaving unchanged rows alone', async () => {
    const jobs = await ledger.app.get(RepricingService).repriceAllTenants({ from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-03T00:00:00Z'), provider: 'mock', model: 'echo-large' });
    expect(jobs.map((j) => [j.tenantId, j.status, j.rowsChanged])).toEqual([['ten_acme', 'completed', 0]]);
  });

  it.each([
    ['GET', '/api/v1/costs/summary?group_by=hour', undefined, 'group_by'],
    ['GET', '/api/v1/costs/summary?from=yesterday', undefined, 'from'],
    ['GET', '/api/v1/costs/summary?from=2026-11-05&to=2026-11-01', undefined, 'to'],
    ['GET', '/api/v1/costs/summary?from=2024-01-01&to=2026-01-01', undefined, 'to'],
    ['GET', '/api/v1/costs/summary?groupby=day', undefined, 'groupby'],
    ['GET', '/api/v1/costs/unpriced?from=2026-13-01T00:00:00Z', undefined, 'from'],
    ['GET', '/api/v1/cost-logs?cost_mismatch=maybe', undefined, 'cost_mismatch'],
    ['GET', '/api/v1/cost-logs?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', undefined, 'to'],
    ['GET', '/api/v1/pricing?history=yes', undefined, 'history'],
    ['POST', '/api/v1/costs/estimate', { model: 'gpt-4o', input_tokens: 1 }, 'model'],
    ['POST', '/api/v1/costs/estimate', { model: 'openai/gpt-4o', input_tokens: -1 }, 'input_tokens'],
    ['POST', '/api/v1/costs/estimate', { model: 'openai/gpt-4o', input_tokens: 1e12 }, 'input_tokens'],
    ['POST', '/api/v1/costs/estimate', { model: 'openai/gpt-4o' }, 'messages'],
    ['POST', '/api/v1/costs/estimate', '{"model": "openai/gpt-4o", ', null],
    ['PUT', '/api/v1/pricing', { prices: [{ provider: 'mock', model: 'echo', input_per_mtok: 0.5, output_per_mtok: '1' }] }, 'prices.0.input_per_mtok'],
    ['PUT', '/api/v1/pricing', { prices: [{ provider: 'mock', model: 'echo', input_per_mtok: '0.0000001', output_per_mtok: '1' }] }, 'prices.0.input_per_mtok'],
    ['PUT', '/api/v1/pricing', { prices: [] }, 'prices'],
    ['POST', '/api/v1/pricing/reprice', { from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' }, 'to'],
  ])('answers %s %s with a 400 in the OpenAI error shape', async (method, path, body, param) => {
    const res = await ledger.request<ErrorBody>(method, path, acme.key, body);
    expect({ path, status: res.status }).toEqual({ path, status: 400 });
    expect(res.body.error.type).toBe('invalid_request_error');
    expect(res.body.error.message.length).toBeGreaterThan(10);
    if (param !== null) expect(res.body.error.param).toBe(param);
  });

  it('answers a missing key with a 401 on every cost route', async () => {
    for (const path of ['/api/v1/costs/summary', '/api/v1/costs/unpriced', '/api/v1/pricing', '/api/v1/budgets']) {
      const res = await fetch(`${ledger.baseUrl}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
    }
  });

  it('waits for nothing: all of the above went through the bus and is visible in the rows', async () => {
    await expectEventually(async () => expect(await ledger.dataSource.getRepository(ModelCostLog).countBy({ tenantId: 'ten_acme' })).toBe(6));
  });
});
