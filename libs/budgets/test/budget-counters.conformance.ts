import Decimal from 'decimal.js';
import { ulid } from 'ulid';
import type { BudgetCounters, BudgetCountersOptions, BudgetLimit } from '../src/index';

/** A clock tests move by hand, starting now (Redis expires keys on real time, so it must stay near it). */
export class TestClock {
  value = Date.now();
  readonly now = (): number => this.value;
  advance(ms: number): void {
    this.value += ms;
  }
}

export type CountersFactory = (options: BudgetCountersOptions) => Promise<BudgetCounters>;

const limit = (overrides: Partial<BudgetLimit> = {}): BudgetLimit => ({ budgetId: 'bud_tenant', scope: { type: 'tenant', id: null }, period: 'month', softLimitUsd: null, hardLimitUsd: '1.00', ...overrides });

/**
 * The behaviour every BudgetCounters implementation must have; run against memory (unit tier)
 * and Redis (integration tier), so the two cannot drift apart.
 */
export function budgetCountersConformance(factory: CountersFactory, extra: { replicas?: number } = {}): void {
  let clock: TestClock;
  let counters: BudgetCounters[] = [];
  let tenantId: string;

  const make = async (options: BudgetCountersOptions = {}): Promise<BudgetCounters> => {
    const created = await factory({ now: clock.now, ...options });
    counters.push(created);
    return created;
  };

  beforeEach(() => {
    clock = new TestClock();
    tenantId = `t_${ulid()}`;
  });

  afterEach(async () => {
    await Promise.all(counters.map((c) => c.close()));
    counters = [];
  });

  it('admits 50 of 200 concurrent $0.02 calls against a $1.00 hard limit, and tells the other 150 which budget refused them', async () => {
    // Several clients stand for several gateway replicas sharing the counters.
    const replicas = await Promise.all(Array.from({ length: extra.replicas ?? 1 }, () => make()));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => replicas[i % replicas.length].reserve({ tenantId, limits: [limit()], estimateUsd: '0.02' })));
    const admitted = results.filter((r) => r.admitted);
    const refused = results.flatMap((r) => (r.admitted ? [] : [r.refusal]));
    expect(admitted).toHaveLength(50);
    expect(refused).toHaveLength(150);
    for (const refusal of refused) {
      expect(refusal).toMatchObject({ budgetId: 'bud_tenant', hardLimitUsd: '1', estimateUsd: '0.02' });
      expect(refusal.message).toContain('budget bud_tenant');
    }
    // Settle at a bit under the estimate, as real calls do: spend stays under the limit.
    await Promise.all(admitted.map((r, i) => (r.admitted ? replicas[i % replicas.length].settle(r.reservation, '0.0175') : undefined)));
    expect(await replicas[0].usage(tenantId, limit())).toEqual({ settledUsd: new Decimal('0.0175').mul(50).toFixed(), reservedUsd: '0' });
  });

  it('checks every budget before reserving on any, so a refusal by one leaves the others untouched', async () => {
    const c = await make();
    const tenant = limit({ hardLimitUsd: '100' });
    const agent = limit({ budgetId: 'bud_agent', scope: { type: 'agent', id: 'a1' }, period: 'day', hardLimitUsd: '0.05' });
    const first = await c.reserve({ tenantId, limits: [tenant, agent], estimateUsd: '0.04' });
    expect(first.admitted).toBe(true);
    const second = await c.reserve({ tenantId, limits: [tenant, agent], estimateUsd: '0.04' });
    expect(second).toMatchObject({ admitted: false, refusal: { budgetId: 'bud_agent', committedUsd: '0.04', period: 'day' } });
    expect(await c.usage(tenantId, tenant)).toEqual({ settledUsd: '0', reservedUsd: '0.04' });
  });

  it('replaces the estimate by the actual cost on settle, drops it on release, and refuses to finish a reservation twice', async () => {
    const c = await make();
    const a = await c.reserve({ tenantId, limits: [limit()], estimateUsd: '0.5' });
    const b = await c.reserve({ tenantId, limits: [limit()], estimateUsd: '0.3' });
    if (!a.admitted || !b.admitted) throw new Error('expected both admitted');
    expect(await c.usage(tenantId, limit())).toEqual({ settledUsd: '0', reservedUsd: '0.8' });
    await c.settle(a.reservation, '0.123456');
    await c.release(b.reservation);
    expect(await c.usage(tenantId, limit())).toEqual({ settledUsd: '0.123456', reservedUsd: '0' });
    await expect(c.settle(a.reservation, '0.1')).rejects.toThrow(/already settled or released/);
    expect(await c.usage(tenantId, limit())).toEqual({ settledUsd: '0.123456', reservedUsd: '0' });
  });

  it('rounds estimates and costs up and limits down to whole micro-dollars, never in the caller\'s favour', async () => {
    const c = await make();
    const tight = limit({ hardLimitUsd: '0.0000019' }); // 1.9 micro-dollars → limit 1
    expect((await c.reserve({ tenantId, limits: [tight], estimateUsd: '0.0000001' })).admitted).toBe(true); // 0.1 → 1
    expect((await c.reserve({ tenantId, limits: [tight], estimateUsd: '0.0000001' })).admitted).toBe(false);
  });

  it('warns when a call reaches a soft limit and still admits it', async () => {
    const c = await make();
    const soft = limit({ softLimitUsd: '0.10', hardLimitUsd: null });
    const quiet = await c.reserve({ tenantId, limits: [soft], estimateUsd: '0.06' });
    const warned = await c.reserve({ tenantId, limits: [soft], estimateUsd: '0.06' });
    expect(quiet).toMatchObject({ admitted: true, warnings: [] });
    expect(warned).toMatchObject({ admitted: true, warnings: [{ budgetId: 'bud_tenant', softLimitUsd: '0.1', projectedUsd: '0.12' }] });
  });

  it('frees the budget held by a reservation that was never settled once it expires', async () => {
    const c = await make({ reservationTtlMs: 60_000 });
    expect((await c.reserve({ tenantId, limits: [limit()], estimateUsd: '1.00' })).admitted).toBe(true);
    expect((await c.reserve({ tenantId, limits: [limit()], estimateUsd: '0.01' })).admitted).toBe(false);
    clock.advance(60_001);
    expect((await c.reserve({ tenantId, limits: [limit()], estimateUsd: '0.01' })).admitted).toBe(true);
    expect(await c.usage(tenantId, limit())).toEqual({ settledUsd: '0', reservedUsd: '0.01' });
  });

  it('still counts the cost of a call that settles after its reservation expired, without removing the estimate twice', async () => {
    const c = await make({ reservationTtlMs: 1000 });
    const r = await c.reserve({ tenantId, limits: [limit()], estimateUsd: '0.5' });
    if (!r.admitted) throw new Error('expected admitted');
    clock.advance(1001);
    await c.settle(r.reservation, '0.4');
    expect(await c.usage(tenantId, limit())).toEqual({ settledUsd: '0.4', reservedUsd: '0' });
  });

  it('keeps one counter per period: yesterday\'s spend does not count today, this month\'s does', async () => {
    const c = await make();
    const today = new Date(clock.now());
    const yesterday = new Date(clock.now() - 86_400_000);
    const daily = limit({ period: 'day', hardLimitUsd: '1' });
    const r = await c.reserve({ tenantId, limits: [daily], estimateUsd: '1', at: yesterday });
    if (!r.admitted) throw new Error('expected admitted');
    await c.settle(r.reservation, '1');
    expect((await c.reserve({ tenantId, limits: [daily], estimateUsd: '1', at: today })).admitted).toBe(true);
    expect(await c.usage(tenantId, daily, yesterday)).toEqual({ settledUsd: '1', reservedUsd: '0' });
  });

  it('lets the ledger raise a counter to what it recorded but not lower it, unless told to set it', async () => {
    const c = await make();
    const r = await c.reserve({ tenantId, limits: [limit()], estimateUsd: '0.2' });
    if (!r.admitted) throw new Error('expected admitted');
    await c.settle(r.reservation, '0.2');
    await c.correct(tenantId, limit(), '0.9');
    expect(await c.usage(tenantId, limit())).toEqual({ settledUsd: '0.9', reservedUsd: '0' });
    await c.correct(tenantId, limit(), '0.5');
    expect((await c.usage(tenantId, limit())).settledUsd).toBe('0.9');
    expect((await c.reserve({ tenantId, limits: [limit()], estimateUsd: '0.2' })).admitted).toBe(false);
    await c.correct(tenantId, limit(), '0.5', undefined, 'set');
    expect((await c.usage(tenantId, limit())).settledUsd).toBe('0.5');
  });

  it('admits a call no budget applies to', async () => {
    const c = await make();
    const r = await c.reserve({ tenantId, limits: [], estimateUsd: '1000' });
    expect(r).toMatchObject({ admitted: true, warnings: [] });
    if (r.admitted) await c.settle(r.reservation, '999');
  });

  it("keeps tenants apart: one tenant's spend never counts against another's budget", async () => {
    const c = await make();
    const r = await c.reserve({ tenantId, limits: [limit()], estimateUsd: '1' });
    expect(r.admitted).toBe(true);
    expect((await c.reserve({ tenantId: `${tenantId}_other`, limits: [limit()], estimateUsd: '1' })).admitted).toBe(true);
  });
}

