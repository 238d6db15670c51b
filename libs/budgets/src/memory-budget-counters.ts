import type { BudgetCounters, BudgetCountersOptions, BudgetLimit, BudgetReservation, CorrectionMode, CounterUsage, ReserveRequest, ReserveResult } from './budget-counters';
import { DEFAULT_COUNTER_GRACE_MS, DEFAULT_RESERVATION_TTL_MS } from './budget-counters';
import { counterKey, reservationMember } from './counter-keys';
import { microsToUsd, usdToMicros } from './micro-usd';
import { memberMicros, planReservation, refusalOf, reservationOf, warningsOf } from './reservation-plan';

interface Counter {
  settled: number;
  reserved: number;
  /** Open reservations: member → expiry (epoch ms). */
  reservations: Map<string, number>;
  expiresAt: number;
}

/**
 * Counters in this process's memory, for the all-in-one gateway. Every method runs to completion
 * without awaiting, so JavaScript's single thread makes check-then-increment atomic, exactly as
 * the Lua script does in Redis. Counters vanish on restart; the ledger's budget.state raises them
 * back (correct()).
 */
export class MemoryBudgetCounters implements BudgetCounters {
  private readonly counters = new Map<string, Counter>();
  private readonly finished = new WeakSet<BudgetReservation>();
  private readonly reservationTtlMs: number;
  private readonly counterGraceMs: number;
  private readonly now: () => number;
  private operations = 0;

  constructor(options: BudgetCountersOptions = {}) {
    this.reservationTtlMs = options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
    this.counterGraceMs = options.counterGraceMs ?? DEFAULT_COUNTER_GRACE_MS;
    this.now = options.now ?? Date.now;
  }

  reserve(request: ReserveRequest): Promise<ReserveResult> {
    const plan = planReservation(request, this.now(), this.reservationTtlMs, this.counterGraceMs);
    this.sweepNowAndThen(plan.now);
    const counters = plan.counters.map((c) => this.counter(c.key, c.expiresAt, plan.now));
    for (let i = 0; i < counters.length; i += 1) {
      const committed = counters[i].settled + counters[i].reserved;
      if (plan.counters[i].hardMicros >= 0 && committed + plan.estimateMicros > plan.counters[i].hardMicros) {
        return Promise.resolve({ admitted: false, refusal: refusalOf(plan, plan.counters[i], committed) });
      }
    }
    for (const counter of counters) {
      counter.reserved += plan.estimateMicros;
      counter.reservations.set(plan.member, plan.expiresAt);
    }
    const warnings = warningsOf(plan, counters.map((c) => c.settled + c.reserved));
    return Promise.resolve({ admitted: true, reservation: reservationOf(plan), warnings });
  }

  // async so that a misuse (finishing twice) rejects like the Redis implementation instead of throwing.
  async settle(reservation: BudgetReservation, actualUsd: string): Promise<void> {
    this.finish(reservation, usdToMicros(actualUsd, 'up'));
  }

  async release(reservation: BudgetReservation): Promise<void> {
    this.finish(reservation, 0);
  }

  correct(tenantId: string, limit: Pick<BudgetLimit, 'scope' | 'period'>, ledgerSpentUsd: string, at: Date = new Date(this.now()), mode: CorrectionMode = 'raise'): Promise<void> {
    const { key, periodEnd } = counterKey(tenantId, limit.scope, limit.period, at);
    const counter = this.counter(key, periodEnd.getTime() + this.counterGraceMs, this.now());
    const spent = usdToMicros(ledgerSpentUsd, 'up');
    counter.settled = mode === 'set' ? spent : Math.max(counter.settled, spent);
    return Promise.resolve();
  }

  usage(tenantId: string, limit: Pick<BudgetLimit, 'scope' | 'period'>, at: Date = new Date(this.now())): Promise<CounterUsage> {
    const now = this.now();
    const { key } = counterKey(tenantId, limit.scope, limit.period, at);
    const counter = this.counters.get(key);
    if (counter) this.reap(counter, now);
    return Promise.resolve({ settledUsd: microsToUsd(counter?.settled ?? 0), reservedUsd: microsToUsd(counter?.reserved ?? 0) });
  }

  close(): Promise<void> {
    this.counters.clear();
    return Promise.resolve();
  }

  private finish(reservation: BudgetReservation, actualMicros: number): void {
    if (this.finished.has(reservation)) throw new Error(`budget reservation ${reservation.id} was already settled or released`);
    this.finished.add(reservation);
    const member = reservationMember(reservation.id, reservation.estimateMicros);
    const now = this.now();
    for (const ref of reservation.counters) {
      const counter = this.counter(ref.key, ref.expiresAt, now);
      // Absent when the reservation expired and was reaped: its estimate is already gone.
      if (counter.reservations.delete(member)) counter.reserved -= reservation.estimateMicros;
      counter.settled += actualMicros;
    }
  }

  /** The live counter for `key`, created empty, with expired reservations dropped. */
  private counter(key: string, expiresAt: number, now: number): Counter {
    let counter = this.counters.get(key);
    if (!counter || counter.expiresAt <= now) {
      counter = { settled: 0, reserved: 0, reservations: new Map(), expiresAt };
      this.counters.set(key, counter);
    }
    this.reap(counter, now);
    return counter;
  }

  private reap(counter: Counter, now: number): void {
    // Insertion order is expiry order (one TTL for all), so the expired ones come first.
    for (const [member, expiresAt] of counter.reservations) {
      if (expiresAt > now) break;
      counter.reservations.delete(member);
      counter.reserved -= memberMicros(member);
    }
  }

  /** Drops counters of past periods every few thousand operations, so memory follows live budgets only. */
  private sweepNowAndThen(now: number): void {
    this.operations += 1;
    if (this.operations % 4096 !== 0) return;
    for (const [key, counter] of this.counters) if (counter.expiresAt <= now) this.counters.delete(key);
  }
}
