import Decimal from 'decimal.js';
import { BudgetAlertV1, BudgetStateV1, LlmCallV1 } from '@tollgate/contracts';
import { BUDGET_EXCEEDED_CODE, BudgetBook, MemoryBudgetCounters, correctCountersFromLedger } from '@tollgate/budgets';
import { costOf, defaultPriceCatalog, estimateMaxCost } from '@tollgate/pricing';
import type { ModelPrice } from '@tollgate/pricing';
import { createTestDatabase, expectEventually, llmCallEvent, tenantWithKey } from '@tollgate/testing';
import type { TestDatabase } from '@tollgate/testing';
import type { BudgetDto } from '../src/budgets/dto/budget.dto';
import { captureTopic, startLedgerApp } from './support/ledger-app';
import type { LedgerApp } from './support/ledger-app';

type ErrorBody = { error: { type: string; param: string | null; message: string } };
const usage = (input: number, output: number) => ({ inputTokens: input, outputTokens: output, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: input + output, source: 'provider' as const });

describe('budgets', () => {
  let db: TestDatabase;
  let ledger: LedgerApp;
  let states: ReturnType<typeof captureTopic<typeof BudgetStateV1>>;
  let alerts: ReturnType<typeof captureTopic<typeof BudgetAlertV1>>;
  const acme = tenantWithKey('ten_acme');
  const globex = tenantWithKey('ten_globex');
  const latestState = (tenantId: string) => [...states.events].reverse().find((s) => s.tenantId === tenantId);

  beforeAll(async () => {
    db = await createTestDatabase();
    ledger = await startLedgerApp(db.url, [acme, globex]);
    states = captureTopic(ledger.broker, BudgetStateV1);
    alerts = captureTopic(ledger.broker, BudgetAlertV1);
  });

  afterAll(async () => {
    await ledger?.close();
    await db?.drop();
  });

  it('creates a budget with PUT, replaces its limits with a second PUT of the same scope and period, and publishes the tenant\'s budget.state', async () => {
    const body = { scope: { type: 'agent', id: 'support-bot' }, period: 'day', soft_limit_usd: '0.004', hard_limit_usd: '0.01' };
    const created = await ledger.request<BudgetDto>('PUT', '/api/v1/budgets', acme.key, body);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ object: 'budget', id: expect.stringMatching(/^bud_/), scope: { type: 'agent', id: 'support-bot' }, period: 'day', soft_limit_usd: '0.004', hard_limit_usd: '0.01', spent_usd: '0', status: 'ok' });
    const updated = await ledger.request<BudgetDto>('PUT', '/api/v1/budgets', acme.key, { ...body, hard_limit_usd: '0.008' });
    expect(updated.body).toMatchObject({ id: created.body.id, hard_limit_usd: '0.008' });
    const state = await expectEventually(() => {
      const s = latestState('ten_acme');
      expect(s?.budgets).toEqual([expect.objectContaining({ budgetId: created.body.id, hardLimitUsd: '0.008', status: 'ok' })]);
      return s!;
    });
    expect(Date.parse(state.budgets[0].periodEnd) - Date.parse(state.budgets[0].periodStart)).toBe(86_400_000);
    const list = await ledger.request<{ data: BudgetDto[] }>('GET', '/api/v1/budgets', acme.key);
    expect(list.body.data.map((b) => b.id)).toEqual([created.body.id]);
  });

  it('follows the ledger: soft limit reached → soft_exceeded and one alert, hard limit reached → hard_exceeded and one alert, once per period', async () => {
    const [budget] = (await ledger.request<{ data: BudgetDto[] }>('GET', '/api/v1/budgets', acme.key)).body.data;
    const call = (input: number) => llmCallEvent({ tenantId: 'ten_acme', attribution: { agentId: 'support-bot', workflowId: null, nodeId: null, sessionId: null }, usage: usage(input, 0) });
    await ledger.publisher.publish(LlmCallV1, call(3000)); // $0.003
    await expectEventually(() => expect(latestState('ten_acme')?.budgets[0]).toMatchObject({ spentUsd: '0.003', status: 'ok' }));
    await ledger.publisher.publish(LlmCallV1, call(2000)); // $0.005 ≥ soft 0.004
    await expectEventually(() => expect(latestState('ten_acme')?.budgets[0]).toMatchObject({ spentUsd: '0.005', status: 'soft_exceeded' }));
    await ledger.publisher.publish(LlmCallV1, call(1000)); // $0.006: still soft, no second alert
    await expectEventually(() => expect(latestState('ten_acme')?.budgets[0]).toMatchObject({ spentUsd: '0.006', status: 'soft_exceeded' }));
    await ledger.publisher.publish(LlmCallV1, call(3000)); // $0.009 ≥ hard 0.008
    await ledger.publisher.publish(LlmCallV1, call(1000)); // $0.01
    await expectEventually(() => expect(latestState('ten_acme')?.budgets[0]).toMatchObject({ spentUsd: '0.01', status: 'hard_exceeded' }));
    expect(alerts.events.map((a) => [a.budgetId, a.threshold, a.limitUsd])).toEqual([
      [budget.id, 'soft', '0.004'],
      [budget.id, 'hard', '0.008'],
    ]);
    // Calls of another agent or tenant do not count against it.
    await ledger.publisher.publish(LlmCallV1, llmCallEvent({ tenantId: 'ten_acme', attribution: { agentId: 'other-bot', workflowId: null, nodeId: null, sessionId: null }, usage: usage(5000, 0) }));
    await ledger.publisher.publish(LlmCallV1, llmCallEvent({ tenantId: 'ten_globex', attribution: { agentId: 'support-bot', workflowId: null, nodeId: null, sessionId: null }, usage: usage(5000, 0) }));
    await ledger.broker.whenIdle();
    expect((await ledger.request<BudgetDto>('GET', `/api/v1/budgets/${budget.id}`, acme.key)).body).toMatchObject({ spent_usd: '0.01', status: 'hard_exceeded' });
    expect(alerts.events).toHaveLength(2);
  });

  it("keeps tenants apart: another tenant's key can neither list, read nor delete a budget", async () => {
    const [budget] = (await ledger.request<{ data: BudgetDto[] }>('GET', '/api/v1/budgets', acme.key)).body.data;
    expect((await ledger.request<{ data: BudgetDto[] }>('GET', '/api/v1/budgets', globex.key)).body.data).toEqual([]);
    expect((await ledger.request<ErrorBody>('GET', `/api/v1/budgets/${budget.id}`, globex.key)).status).toBe(404);
    const deleted = await ledger.request<ErrorBody>('DELETE', `/api/v1/budgets/${budget.id}`, globex.key);
    expect(deleted).toMatchObject({ status: 404, body: { error: { type: 'not_found_error' } } });
    expect((await ledger.request<BudgetDto>('GET', `/api/v1/budgets/${budget.id}`, acme.key)).status).toBe(200);
    expect(latestState('ten_globex')).toBeUndefined();
  });

  it('deletes a budget and publishes the tenant\'s now empty state', async () => {
    const [budget] = (await ledger.request<{ data: BudgetDto[] }>('GET', '/api/v1/budgets', acme.key)).body.data;
    expect(await ledger.request('DELETE', `/api/v1/budgets/${budget.id}`, acme.key)).toEqual({ status: 200, body: { object: 'budget', id: budget.id, deleted: true } });
    await expectEventually(() => expect(latestState('ten_acme')?.budgets).toEqual([]));
    expect((await ledger.request('GET', `/api/v1/budgets/${budget.id}`, acme.key)).status).toBe(404);
  });

  it.each([
    [{ scope: { type: 'agent', id: 'x' }, period: 'day', soft_limit_usd: '5', hard_limit_usd: '1' }, 'hard_limit_usd'],
    [{ scope: { type: 'agent', id: 'x' }, period: 'day' }, 'hard_limit_usd'],
    [{ scope: { type: 'agent' }, period: 'day', hard_limit_usd: '1' }, 'scope.id'],
    [{ scope: { type: 'team', id: 'x' }, period: 'day', hard_limit_usd: '1' }, 'scope.type'],
    [{ scope: { type: 'tenant' }, period: 'week', hard_limit_usd: '1' }, 'period'],
    [{ scope: { type: 'tenant' }, period: 'day', hard_limit_usd: 1 }, 'hard_limit_usd'],
    [{ scope: { type: 'tenant' }, period: 'day', hard_limit_usd: '-1' }, 'hard_limit_usd'],
    [{ scope: { type: 'tenant' }, period: 'day', hard_limit_usd: '1', colour: 'red' }, 'colour'],
  ])('refuses a malformed budget %j with a 400 naming %s', async (body, param) => {
    const res = await ledger.request<ErrorBody>('PUT', '/api/v1/budgets', acme.key, body);
    expect(res).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', param } } });
  });

  it('holds a hard limit under 200 concurrent calls: about 50 admitted, recorded spend ≤ limit + one estimate, the rest refused naming the budget', async () => {
    // The gateway's side, with the library it will use: limits from budget.state, counters in memory.
    const created = await ledger.request<BudgetDto>('PUT', '/api/v1/budgets', globex.key, { scope: { type: 'tenant' }, period: 'month', hard_limit_usd: '0.15' });
    const book = new BudgetBook();
    const counters = new MemoryBudgetCounters();
    const state = await expectEventually(() => {
      const s = latestState('ten_globex');
      expect(s?.budgets).toHaveLength(1);
      return s!;
    });
    book.apply(state);
    // The ledger already holds globex's $0.005 call from the test above: the counters start from it.
    await correctCountersFromLedger(counters, state);
    const subject = { tenantId: 'ten_globex', userId: null, apiKeyId: globex.keyId, agentId: null };
    const echo = defaultPriceCatalog().find('mock', 'echo') as ModelPrice;
    // Each call: 1000 prompt tokens, max_tokens 1000 → estimate 1000*1 + 1000*2 = $0.003; it really uses 500 output → $0.002.
    const estimate = estimateMaxCost({ inputTokens: 1000, maxOutputTokens: 1000 }, echo).maxUsd;
    const results = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const admission = await counters.reserve({ tenantId: 'ten_globex', limits: book.limitsFor(subject), estimateUsd: estimate });
        if (!admission.admitted) return { status: 429, code: BUDGET_EXCEEDED_CODE, message: admission.refusal.message };
        const event = llmCallEvent({ tenantId: 'ten_globex', apiKeyId: globex.keyId, usage: usage(1000, 500) });
        await ledger.publisher.publish(LlmCallV1, event);
        await counters.settle(admission.reservation, costOf(event.usage, echo).usd);
        return { status: 200 };
      }),
    );
    const admitted = results.filter((r) => r.status === 200).length;
    // (0.15 - 0.005) / 0.003 = 48.3 → 48 admitted.
    expect(admitted).toBe(48);
    for (const refused of results.filter((r) => r.status === 429)) expect(refused.message).toContain(`budget ${created.body.id}`);
    await ledger.broker.whenIdle();
    const spent = await expectEventually(async () => {
      const budget = (await ledger.request<BudgetDto>('GET', `/api/v1/budgets/${created.body.id}`, globex.key)).body;
      expect(new Decimal(budget.spent_usd).equals(new Decimal('0.005').plus(new Decimal('0.002').mul(48)))).toBe(true);
      return budget.spent_usd;
    });
    expect(new Decimal(spent).lessThanOrEqualTo(new Decimal('0.15').plus(estimate))).toBe(true);
  });
});
