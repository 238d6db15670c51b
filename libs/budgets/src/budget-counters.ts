import type { BudgetPeriod, BudgetScope } from '@tollgate/contracts';

/** One budget as admission needs it (from budget.state.v1 via BudgetBook). */
export interface BudgetLimit {
  budgetId: string;
  scope: BudgetScope;
  period: BudgetPeriod;
  /** Decimal USD; null: no such limit. */
  softLimitUsd: string | null;
  hardLimitUsd: string | null;
}

export interface ReserveRequest {
  tenantId: string;
  /** Every budget that applies to the call (tenant, its user, API key, agent). */
  limits: readonly BudgetLimit[];
  /** The call's maximum cost, decimal USD (estimateMaxCost from @tollgate/pricing). */
  estimateUsd: string;
  /** The call's time (default: now); picks the day/month counters. */
  at?: Date;
}

/** A counter a reservation holds: one per budget it was checked against. */
export interface ReservedCounter {
  readonly key: string;
  /** When the counter (and its period) stops mattering, epoch ms. */
  readonly expiresAt: number;
}

/** Admission granted: the estimate is held on every counter until settle() or release(). */
export interface BudgetReservation {
  readonly id: string;
  readonly tenantId: string;
  readonly estimateMicros: number;
  readonly counters: readonly ReservedCounter[];
  /** After this (epoch ms) an unsettled reservation is dropped, so a crashed gateway does not hold budget forever. */
  readonly expiresAt: number;
}

/** A soft limit this call reaches or passes: the call goes through with `x-tollgate-budget-warning`. */
export interface BudgetWarning {
  budgetId: string;
  scope: BudgetScope;
  period: BudgetPeriod;
  softLimitUsd: string;
  /** Spent + reserved in the period, this call's estimate included. */
  projectedUsd: string;
}

/** Admission refused by a hard limit: answer 429 with `message` (it names the budget). */
export interface BudgetRefusal {
  budgetId: string;
  scope: BudgetScope;
  period: BudgetPeriod;
  hardLimitUsd: string;
  /** Spent + reserved in the period before this call. */
  committedUsd: string;
  estimateUsd: string;
  /** When the period ends and the budget resets (ISO 8601). */
  resetsAt: string;
  message: string;
}

export type ReserveResult = { admitted: true; reservation: BudgetReservation; warnings: BudgetWarning[] } | { admitted: false; refusal: BudgetRefusal };

export interface CounterUsage {
  settledUsd: string;
  reservedUsd: string;
}

/**
 * How the ledger's figure corrects a counter: `raise` (default) lifts `settled` to the ledger's
 * spend and never lowers it, because the ledger lags the gateway by the calls still in flight on
 * the bus; `set` replaces it (an operator correction, e.g. after re-pricing downwards).
 */
export type CorrectionMode = 'raise' | 'set';

/**
 * Budget admission counters, shared by every gateway replica (Redis) or by one process (memory).
 *
 * reserve() checks every applicable hard limit and, only if all pass, adds the estimate to every
 * counter, atomically: concurrent reservations can never together pass a hard limit (the limit can
 * be overshot only by actual costs above their estimates). settle() replaces the estimate by the
 * actual cost; release() drops it (the call never reached a provider). Call exactly one of them
 * once per reservation.
 */
export interface BudgetCounters {
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  settle(reservation: BudgetReservation, actualUsd: string): Promise<void>;
  release(reservation: BudgetReservation): Promise<void>;
  /** Brings a counter in line with the ledger's spend for the period containing `at`. */
  correct(tenantId: string, limit: Pick<BudgetLimit, 'scope' | 'period'>, ledgerSpentUsd: string, at?: Date, mode?: CorrectionMode): Promise<void>;
  usage(tenantId: string, limit: Pick<BudgetLimit, 'scope' | 'period'>, at?: Date): Promise<CounterUsage>;
  close(): Promise<void>;
}

export interface BudgetCountersOptions {
  /** How long an unsettled reservation holds budget; longer than any call (gateway timeouts are ≤ 10 min). Default 15 min. */
  reservationTtlMs?: number;
  /** Counters outlive their period by this much, so a call settling just after midnight still finds its counter. Default 2 days. */
  counterGraceMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export const DEFAULT_RESERVATION_TTL_MS = 15 * 60_000;
export const DEFAULT_COUNTER_GRACE_MS = 2 * 24 * 3_600_000;
