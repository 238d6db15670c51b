import { Logger } from '@nestjs/common';
import { BudgetBook, BudgetCountersUnavailableError, MemoryBudgetCounters } from '@tollgate/budgets';
import type { BudgetCounters, BudgetReservation, ReserveRequest, ReserveResult } from '@tollgate/budgets';
import type { BudgetStateEntry, BudgetStateV1, RouteDecision } from '@tollgate/contracts';
import type { Caller } from '@tollgate/platform';
import { defaultPriceCatalog } from '@tollgate/pricing';
import { budgetStateEntry } from '@tollgate/testing';
import type { CallFacts } from '../calls/llm-call.event';
import { BudgetAdmission, BudgetExceededError, BudgetUnavailableError } from './budget-admission';
import type { AdmissionRequest, BudgetSettings, FinishedCall } from './budget-admission';
import { maxCostOf } from './budget-cost';
import { BudgetStateConsumer } from './budget-state.consumer';

const ECHO = { id: 'mock-echo', provider: 'mock' as const, model: 'echo', publicModel: 'mock/echo' };
const ECHO_LARGE = { id: 'mock-echo-large', provider: 'mock' as const, model: 'echo-large', publicModel: 'mock/echo-large' };
const UNPRICED = { id: 'mock-embed', provider: 'mock' as const, model: 'embed', publicModel: 'mock/embed' };

function caller(tenantId = 'ten_a', overrides: Partial<Caller> = {}): Caller {
  return { tenantId, tenantName: tenantId, apiKeyId: 'key_1', userId: 'usr_1', plan: 'pro', region: 'us', privacyMode: 'metadata', ...overrides };
}

let seq = 0;
function snapshot(tenantId: string, budgets: BudgetStateEntry[], occurredAt = new Date().toISOString()): BudgetStateV1 {
  return { id: `01J${String(++seq).padStart(23, '0')}`, type: 'budget.state', version: 1, occurredAt, tenantId, budgets };
}

/** mock/echo: $1 per million input tokens, $2 per million output tokens. */
function request(overrides: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return { caller: caller(), attribution: { agentId: null }, candidates: [ECHO], promptTokens: 100, maxOutputTokens: 1000, ...overrides };
}

const SERVED_ECHO: RouteDecision = { provider: 'mock', model: 'echo', deployment: 'mock-echo', region: 'us', rule: null, reason: null, policyVersion: null, candidates: ['mock-echo'] };

function finished(outcome: FinishedCall['outcome'], inputTokens: number, outputTokens: number): FinishedCall {
  return { outcome, usage: { inputTokens, outputTokens, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, decision: SERVED_ECHO, responseModel: 'echo', startedAt: new Date() };
}

function facts(): Pick<CallFacts, 'outcome' | 'error'> {
  return { outcome: 'ok', error: null };
}

// Expected error logs (counters down, failed settlements) would only clutter the output.
beforeAll(() => Logger.overrideLogger(false));

describe('BudgetAdmission', () => {
  let counters: MemoryBudgetCounters;
  let book: BudgetBook;
  const settings: BudgetSettings = { failMode: 'open', defaultMaxOutputTokens: 4096, timeoutMs: 200 };
  const admission = (s: Partial<BudgetSettings> = {}, c: BudgetCounters = counters) => new BudgetAdmission(c, book, defaultPriceCatalog(), { ...settings, ...s });
  const tenantBudget = (limits: Partial<BudgetStateEntry>, tenantId = 'ten_a') => {
    const budget = budgetStateEntry({ scope: { type: 'tenant', id: null }, ...limits });
    book.apply(snapshot(tenantId, [budget]));
    return budget;
  };
  const usageOf = (budget: BudgetStateEntry, tenantId = 'ten_a') => counters.usage(tenantId, budget);

  beforeEach(() => {
    counters = new MemoryBudgetCounters();
    book = new BudgetBook();
  });

  it('admits without touching the counters when no budget applies', async () => {
    const reserve = jest.spyOn(counters, 'reserve');
    const budget = await admission().admit(request());
    expect(budget.reservation).toBeNull();
    expect(budget.headers).toEqual({});
    await budget.finish(finished('ok', 100, 10));
    expect(reserve).not.toHaveBeenCalled();
  });

  it('reserves the maximum cost, then settles to the actual cost of the usage', async () => {
    const budget = tenantBudget({ hardLimitUsd: '1' });
    const call = await admission().admit(request());
    // 100 input tokens x $1/M + 1000 output tokens x $2/M
    expect(call.estimateUsd).toBe('0.0021');
    expect(await usageOf(budget)).toEqual({ settledUsd: '0', reservedUsd: '0.0021' });
    await call.finish(finished('ok', 100, 10));
    expect(await usageOf(budget)).toEqual({ settledUsd: '0.00012', reservedUsd: '0' });
    // Only the first finish counts.
    await call.finish(finished('ok', 100, 10));
    expect(await usageOf(budget)).toEqual({ settledUsd: '0.00012', reservedUsd: '0' });
  });

  it('settles what a truncated stream used, and releases a failed call', async () => {
    const budget = tenantBudget({ hardLimitUsd: '1' });
    const truncated = await admission().admit(request());
    await truncated.finish(finished('truncated', 100, 50));
    const failed = await admission().admit(request());
    await failed.finish(finished('failed', 0, 0));
    expect(await usageOf(budget)).toEqual({ settledUsd: '0.0002', reservedUsd: '0' });
  });

  it('refuses with 429 budget_exceeded naming the budget when the hard limit would be passed, and marks the call blocked', async () => {
    const budget = tenantBudget({ hardLimitUsd: '0.005' });
    await admission().admit(request());
    await admission().admit(request());
    const marked = facts();
    const error = await admission().admit(request(), marked).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    const refused = error as BudgetExceededError;
    expect(refused.getStatus()).toBe(429);
    expect(refused.getResponse()).toEqual({ error: { message: expect.any(String), type: 'rate_limit_error', param: null, code: 'budget_exceeded' } });
    const message = (refused.getResponse() as { error: { message: string } }).error.message;
    expect(message).toContain(budget.budgetId);
    expect(message).toContain('daily hard limit of $0.005');
    expect(message).toContain('the tenant');
    expect(marked).toEqual({ outcome: 'blocked', error: { type: 'budget_exceeded', code: 'budget_exceeded', message } });
    // Nothing was reserved for the refused call.
    expect(await usageOf(budget)).toEqual({ settledUsd: '0', reservedUsd: '0.0042' });
  });

  it('adds x-tollgate-budget-warning once a soft limit is reached, and still admits', async () => {
    const budget = tenantBudget({ softLimitUsd: '0.003', hardLimitUsd: '1' });
    const first = await admission().admit(request());
    expect(first.headers).toEqual({});
    const second = await admission().admit(request());
    expect(second.headers['x-tollgate-budget-warning']).toBe(`budget=${budget.budgetId}; scope=tenant; period=day; soft_limit_usd=0.003; projected_usd=0.0042`);
  });

  it('checks every applicable scope: user, API key and agent (from x-tollgate-agent-id), day and month', async () => {
    const agent = budgetStateEntry({ scope: { type: 'agent', id: 'bot-1' }, hardLimitUsd: '0.003' });
    const user = budgetStateEntry({ scope: { type: 'user', id: 'usr_1' }, period: 'month', hardLimitUsd: '1' });
    const otherKey = budgetStateEntry({ scope: { type: 'api_key', id: 'key_other' }, hardLimitUsd: '0' });
    book.apply(snapshot('ten_a', [agent, user, otherKey]));
    const asAgent = request({ attribution: { agentId: 'bot-1' } });
    await admission().admit(asAgent);
    await expect(admission().admit(asAgent)).rejects.toThrow(new RegExp(`agent "bot-1" \\(budget ${agent.budgetId}\\)`));
    // Without the agent header the agent's budget does not apply; the other key's never does.
    await expect(admission().admit(request())).resolves.toBeDefined();
    expect(await counters.usage('ten_a', user)).toEqual({ settledUsd: '0', reservedUsd: '0.0042' });
  });

  it("never applies one tenant's budgets to another tenant", async () => {
    tenantBudget({ hardLimitUsd: '0' }, 'ten_a');
    await expect(admission().admit(request({ caller: caller('ten_a') }))).rejects.toBeInstanceOf(BudgetExceededError);
    const other = await admission().admit(request({ caller: caller('ten_b') }));
    expect(other.reservation).toBeNull();
  });

  it('estimates with the dearest candidate, and without max_tokens with the model max output or the configured default', () => {
    const at = new Date();
    const base = { catalog: defaultPriceCatalog(), promptTokens: 1000, defaultMaxOutputTokens: 100, at };
    // echo-large: $10/M input, $30/M output.
    expect(maxCostOf({ ...base, candidates: [ECHO, ECHO_LARGE], maxOutputTokens: 1000 }).estimateUsd).toBe('0.04');
    // No max_tokens: mock/echo's catalog max output (16384 tokens x $2/M) + 1000 x $1/M.
    expect(maxCostOf({ ...base, candidates: [ECHO], maxOutputTokens: undefined }).estimateUsd).toBe('0.033768');
    expect(maxCostOf({ ...base, candidates: [UNPRICED, ECHO], maxOutputTokens: 0 })).toEqual({ estimateUsd: '0.001', unpriced: ['mock-embed'] });
    const noMaxOutput = defaultPriceCatalog().withOverrides([{ ...defaultPriceCatalog().find('mock', 'echo')!, model: 'echo-nolimit', maxOutputTokens: null, origin: 'tenant' }]);
    expect(maxCostOf({ ...base, catalog: noMaxOutput, candidates: [{ ...ECHO, model: 'echo-nolimit' }], maxOutputTokens: undefined }).estimateUsd).toBe('0.0012');
  });

  describe('when the counters are unavailable', () => {
    const down: BudgetCounters = {
      reserve: () => Promise.reject(new BudgetCountersUnavailableError('reserve', new Error('connection refused'))),
      settle: () => Promise.reject(new Error('unexpected')),
      release: () => Promise.reject(new Error('unexpected')),
      correct: () => Promise.reject(new BudgetCountersUnavailableError('correct', new Error('connection refused'))),
      usage: () => Promise.reject(new Error('unexpected')),
      close: () => Promise.resolve(),
    };

    it('fails open by default: admits without a reservation, but still refuses a budget the ledger reports over its hard limit', async () => {
      tenantBudget({ softLimitUsd: '0.5', hardLimitUsd: '1', spentUsd: '0.6', status: 'soft_exceeded' });
      const admitted = await admission({}, down).admit(request());
      expect(admitted.reservation).toBeNull();
      expect(admitted.headers['x-tollgate-budget-warning']).toContain('soft_limit_usd=0.5; projected_usd=0.6');
      await expect(admitted.finish(finished('ok', 1, 1))).resolves.toBeUndefined();

      const over = tenantBudget({ hardLimitUsd: '1', spentUsd: '1.2', status: 'hard_exceeded' });
      await expect(admission({}, down).admit(request())).rejects.toThrow(new RegExp(`budget ${over.budgetId}`));
    });

    it('fails closed when configured: 503 budget_unavailable, the call marked blocked', async () => {
      tenantBudget({ hardLimitUsd: '1' });
      const marked = facts();
      const error = (await admission({ failMode: 'closed' }, down).admit(request(), marked).catch((e: unknown) => e)) as BudgetUnavailableError;
      expect(error).toBeInstanceOf(BudgetUnavailableError);
      expect(error.getStatus()).toBe(503);
      expect(error.getResponse()).toMatchObject({ error: { type: 'server_error', code: 'budget_unavailable' } });
      expect(marked.outcome).toBe('blocked');
    });

    it('treats counters that do not answer in time as unavailable, and releases a reservation that lands late', async () => {
      tenantBudget({ hardLimitUsd: '1' });
      let land: (result: ReserveResult) => void = () => undefined;
      const released: BudgetReservation[] = [];
      const slow: BudgetCounters = {
        ...down,
        reserve: (_: ReserveRequest) => new Promise<ReserveResult>((resolve) => (land = resolve)),
        release: (reservation) => {
          released.push(reservation);
          return Promise.resolve();
        },
      };
      const admitted = await admission({ timeoutMs: 20 }, slow).admit(request());
      expect(admitted.reservation).toBeNull();
      const late: BudgetReservation = { id: 'r1', tenantId: 'ten_a', estimateMicros: 2100, counters: [], expiresAt: Date.now() + 1000 };
      land({ admitted: true, reservation: late, warnings: [] });
      await new Promise((resolve) => setImmediate(resolve));
      expect(released).toEqual([late]);
    });

    it('logs a failed settlement instead of failing the call', async () => {
      tenantBudget({ hardLimitUsd: '1' });
      const flaky: BudgetCounters = { ...counters, reserve: (r) => counters.reserve(r), settle: () => Promise.reject(new Error('redis went away')), release: () => Promise.resolve(), correct: () => Promise.resolve(), usage: (t, l) => counters.usage(t, l), close: () => Promise.resolve() };
      const call = await admission({}, flaky).admit(request());
      await expect(call.finish(finished('ok', 100, 10))).resolves.toBeUndefined();
    });
  });
});

describe('BudgetStateConsumer', () => {
  it('replaces the tenant limits and raises the counters to the ledger spend, ignoring older snapshots', async () => {
    const counters = new MemoryBudgetCounters();
    const book = new BudgetBook();
    const consumer = new BudgetStateConsumer(book, counters);
    const budget = budgetStateEntry({ scope: { type: 'tenant', id: null }, hardLimitUsd: '10', spentUsd: '4.5' });
    await consumer.apply(snapshot('ten_a', [budget], new Date(Date.now() - 1000).toISOString()));
    expect(book.limitsFor({ tenantId: 'ten_a', userId: null, apiKeyId: 'k', agentId: null })).toHaveLength(1);
    expect(await counters.usage('ten_a', budget)).toEqual({ settledUsd: '4.5', reservedUsd: '0' });
    // The ledger lags the gateway: a lower figure never lowers the counter.
    await consumer.apply(snapshot('ten_a', [{ ...budget, spentUsd: '3' }]));
    expect(await counters.usage('ten_a', budget)).toEqual({ settledUsd: '4.5', reservedUsd: '0' });
    // An older snapshot arriving late changes nothing; an empty list removes the budgets.
    await consumer.apply(snapshot('ten_a', [], new Date(Date.now() - 60_000).toISOString()));
    expect(book.budgets('ten_a')).toHaveLength(1);
    await consumer.apply(snapshot('ten_a', []));
    expect(book.budgets('ten_a')).toHaveLength(0);
  });

  it('keeps the new limits when the counters cannot be corrected', async () => {
    const book = new BudgetBook();
    const counters = new MemoryBudgetCounters();
    jest.spyOn(counters, 'correct').mockRejectedValue(new Error('redis down'));
    const consumer = new BudgetStateConsumer(book, counters);
    await expect(consumer.apply(snapshot('ten_a', [budgetStateEntry({ scope: { type: 'tenant', id: null }, hardLimitUsd: '1' })]))).resolves.toBeUndefined();
    expect(book.budgets('ten_a')).toHaveLength(1);
  });
});
