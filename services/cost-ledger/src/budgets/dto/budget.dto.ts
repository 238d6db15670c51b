import Decimal from 'decimal.js';
import { z } from 'zod';
import { PRICE_PATTERN } from '@tollgate/pricing';
import type { BudgetPeriod, BudgetScope, BudgetStatus } from '@tollgate/contracts';

const usd = z.string({ error: 'must be a decimal string of USD, e.g. "100.00"' }).regex(PRICE_PATTERN, 'must be a decimal string of USD with at most 6 decimals, e.g. "100.00"');

const ScopeSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('tenant'), id: z.null({ error: 'must be null (or left out) for the tenant scope' }).optional().transform(() => null) }),
    z.strictObject({ type: z.enum(['user', 'api_key', 'agent']), id: z.string({ error: 'is required for a user, api_key or agent scope' }).min(1).max(256) }),
  ],
  { error: 'type must be tenant, user, api_key or agent' },
);

/** Body of PUT /api/v1/budgets: creates the budget of that scope and period, or replaces its limits. */
export const PutBudgetBodySchema = z
  .strictObject({
    scope: ScopeSchema,
    period: z.enum(['day', 'month'], { error: 'must be day or month' }),
    soft_limit_usd: usd.nullable().default(null),
    hard_limit_usd: usd.nullable().default(null),
  })
  .refine((b) => b.soft_limit_usd !== null || b.hard_limit_usd !== null, { message: 'set soft_limit_usd, hard_limit_usd or both', path: ['hard_limit_usd'] })
  .refine((b) => b.soft_limit_usd === null || b.hard_limit_usd === null || new Decimal(b.soft_limit_usd).lessThanOrEqualTo(b.hard_limit_usd), {
    message: 'must not be below soft_limit_usd',
    path: ['hard_limit_usd'],
  });

export type PutBudgetBody = z.infer<typeof PutBudgetBodySchema>;

export const BudgetIdSchema = z.string().regex(/^bud_[0-9A-HJKMNP-TV-Z]{26}$/, 'is not a budget id (bud_...)');

export interface BudgetDto {
  object: 'budget';
  id: string;
  scope: BudgetScope;
  period: BudgetPeriod;
  soft_limit_usd: string | null;
  hard_limit_usd: string | null;
  /** The current period (UTC) and what the ledger recorded in it. */
  period_start: string;
  period_end: string;
  spent_usd: string;
  status: BudgetStatus;
  created_at: string;
  updated_at: string;
}
