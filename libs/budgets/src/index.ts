export type {
  BudgetCounters,
  BudgetCountersOptions,
  BudgetLimit,
  BudgetReservation,
  BudgetRefusal,
  BudgetWarning,
  ReserveRequest,
  ReserveResult,
  ReservedCounter,
  CounterUsage,
  CorrectionMode,
} from './budget-counters';
export { DEFAULT_RESERVATION_TTL_MS, DEFAULT_COUNTER_GRACE_MS } from './budget-counters';
export { MemoryBudgetCounters } from './memory-budget-counters';
export { RedisBudgetCounters, BudgetCountersUnavailableError } from './redis-budget-counters';
export { createBudgetCounters } from './create-budget-counters';
export { BudgetBook, correctCountersFromLedger, type BudgetSubject } from './budget-book';
export { BUDGET_EXCEEDED_CODE, BUDGET_WARNING_HEADER, budgetWarningHeader, refusalMessage, describeScope } from './budget-messages';
export { periodWindow, type PeriodWindow } from './periods';
export { usdToMicros, microsToUsd } from './micro-usd';
