import type { BudgetPeriod } from '@tollgate/contracts';

export interface PeriodWindow {
  /** Inclusive, UTC. */
  start: Date;
  /** Exclusive, UTC. */
  end: Date;
  /** `2026-11-21` for a day, `2026-11` for a month: part of the counter key. */
  key: string;
}

/** The UTC day or month containing `at`. Budgets reset at 00:00 UTC (a day) or on the 1st at 00:00 UTC (a month). */
export function periodWindow(period: BudgetPeriod, at: Date): PeriodWindow {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  if (period === 'month') {
    const start = new Date(Date.UTC(year, month, 1));
    return { start, end: new Date(Date.UTC(year, month + 1, 1)), key: start.toISOString().slice(0, 7) };
  }
  const start = new Date(Date.UTC(year, month, at.getUTCDate()));
  return { start, end: new Date(Date.UTC(year, month, at.getUTCDate() + 1)), key: start.toISOString().slice(0, 10) };
}
