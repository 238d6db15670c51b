import type { BudgetPeriod, BudgetScope } from '@tollgate/contracts';
import type { BudgetWarning } from './budget-counters';

/** The error code of a call refused by a hard budget (HTTP 429). */
export const BUDGET_EXCEEDED_CODE = 'budget_exceeded';

/** Response header listing the soft limits a call reached. */
export const BUDGET_WARNING_HEADER = 'x-tollgate-budget-warning';

export function describeScope(scope: BudgetScope): string {
  return scope.type === 'tenant' ? 'the tenant' : `${scope.type.replace('_', ' ')} "${scope.id}"`;
}

const PERIOD_WORD: Record<BudgetPeriod, string> = { day: 'daily', month: 'monthly' };

export function refusalMessage(r: { budgetId: string; scope: BudgetScope; period: BudgetPeriod; hardLimitUsd: string; committedUsd: string; estimateUsd: string; resetsAt: string }): string {
  return (
    `Budget exceeded: the ${PERIOD_WORD[r.period]} hard limit of $${r.hardLimitUsd} for ${describeScope(r.scope)} (budget ${r.budgetId}) ` +
    `would be passed by this call: $${r.committedUsd} is already spent or reserved and this call may cost up to $${r.estimateUsd}. ` +
    `Lower max_tokens, ask your Tollgate admin to raise the budget, or retry after ${r.resetsAt}.`
  );
}

/** `x-tollgate-budget-warning` value: one `budget=...; scope=...; period=...; soft_limit_usd=...; projected_usd=...` per warning, comma-separated. */
export function budgetWarningHeader(warnings: readonly BudgetWarning[]): string | undefined {
  if (warnings.length === 0) return undefined;
  return warnings
    .map((w) => `budget=${w.budgetId}; scope=${w.scope.type}${w.scope.id === null ? '' : `:${encodeURIComponent(w.scope.id)}`}; period=${w.period}; soft_limit_usd=${w.softLimitUsd}; projected_usd=${w.projectedUsd}`)
    .join(', ');
}
