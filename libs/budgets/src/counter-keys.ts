import type { BudgetPeriod, BudgetScope } from '@tollgate/contracts';
import { periodWindow } from './periods';

/**
 * Redis key of one scope's counter in one period. The `{tenant}` hash tag puts all of a tenant's
 * counters in one Redis Cluster slot, which a multi-key Lua script needs. Ids are URI-encoded so a
 * `:` or `}` in them cannot forge another key.
 */
export function counterKey(tenantId: string, scope: BudgetScope, period: BudgetPeriod, at: Date): { key: string; periodEnd: Date } {
  const window = periodWindow(period, at);
  const key = `tollgate:budget:{${encodeURIComponent(tenantId)}}:${scope.type}:${encodeURIComponent(scope.id ?? '')}:${period}:${window.key}`;
  return { key, periodEnd: window.end };
}

/** The sorted set of a counter's open reservations (member `<id>:<micros>`, score = expiry). */
export function reservationsKey(counter: string): string {
  return `${counter}:reservations`;
}

export function reservationMember(id: string, micros: number): string {
  return `${id}:${micros}`;
}
