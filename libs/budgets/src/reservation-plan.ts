import { newUlid } from '@tollgate/contracts';
import type { BudgetLimit, BudgetRefusal, BudgetReservation, BudgetWarning, ReserveRequest } from './budget-counters';
import { refusalMessage } from './budget-messages';
import { counterKey, reservationMember, reservationsKey } from './counter-keys';
import { microsToUsd, usdToMicros } from './micro-usd';

export interface PlannedCounter {
  limit: BudgetLimit;
  key: string;
  reservationsKey: string;
  expiresAt: number;
  periodEnd: Date;
  /** -1: no hard limit (the counter is still kept, for soft warnings and usage). */
  hardMicros: number;
  softMicros: number | null;
}

/** What both implementations compute before touching their counters: keys, integer amounts, expiries. */
export interface ReservationPlan {
  id: string;
  member: string;
  tenantId: string;
  estimateMicros: number;
  estimateUsd: string;
  now: number;
  expiresAt: number;
  counters: PlannedCounter[];
}

export function planReservation(request: ReserveRequest, now: number, reservationTtlMs: number, counterGraceMs: number): ReservationPlan {
  const at = request.at ?? new Date(now);
  const estimateMicros = usdToMicros(request.estimateUsd, 'up');
  const id = newUlid(now);
  const counters = request.limits.map((limit): PlannedCounter => {
    const { key, periodEnd } = counterKey(request.tenantId, limit.scope, limit.period, at);
    return {
      limit,
      key,
      reservationsKey: reservationsKey(key),
      expiresAt: periodEnd.getTime() + counterGraceMs,
      periodEnd,
      hardMicros: limit.hardLimitUsd === null ? -1 : usdToMicros(limit.hardLimitUsd, 'down'),
      softMicros: limit.softLimitUsd === null ? null : usdToMicros(limit.softLimitUsd, 'down'),
    };
  });
  return { id, member: reservationMember(id, estimateMicros), tenantId: request.tenantId, estimateMicros, estimateUsd: microsToUsd(estimateMicros), now, expiresAt: now + reservationTtlMs, counters };
}

export function reservationOf(plan: ReservationPlan): BudgetReservation {
  return { id: plan.id, tenantId: plan.tenantId, estimateMicros: plan.estimateMicros, counters: plan.counters.map((c) => ({ key: c.key, expiresAt: c.expiresAt })), expiresAt: plan.expiresAt };
}

export function refusalOf(plan: ReservationPlan, counter: PlannedCounter, committedMicros: number): BudgetRefusal {
  const fields = {
    budgetId: counter.limit.budgetId,
    scope: counter.limit.scope,
    period: counter.limit.period,
    hardLimitUsd: microsToUsd(counter.hardMicros),
    committedUsd: microsToUsd(committedMicros),
    estimateUsd: plan.estimateUsd,
    resetsAt: counter.periodEnd.toISOString(),
  };
  return { ...fields, message: refusalMessage(fields) };
}

/** Soft limits reached once this call's estimate is counted: `committedAfter[i]` is counter i's spent + reserved after the reservation. */
export function warningsOf(plan: ReservationPlan, committedAfter: readonly number[]): BudgetWarning[] {
  const warnings: BudgetWarning[] = [];
  plan.counters.forEach((counter, i) => {
    if (counter.softMicros !== null && committedAfter[i] > counter.softMicros) {
      warnings.push({ budgetId: counter.limit.budgetId, scope: counter.limit.scope, period: counter.limit.period, softLimitUsd: microsToUsd(counter.softMicros), projectedUsd: microsToUsd(committedAfter[i]) });
    }
  });
  return warnings;
}

/** The estimate a reservation member carries (`<id>:<micros>`). */
export function memberMicros(member: string): number {
  return Number(member.slice(member.lastIndexOf(':') + 1));
}
