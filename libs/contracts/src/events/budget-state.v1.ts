import { z } from 'zod';
import { envelopeShape } from './envelope';
import { defineEvent } from './define-event';
import { DecimalUsdSchema } from './llm-call.v1';
import { TOPICS } from '../topics';

/** What a budget limits: the whole tenant, or one user, API key or agent of it (`id` null for the tenant). */
export const BudgetScopeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('tenant'), id: z.null() }),
  z.object({ type: z.enum(['user', 'api_key', 'agent']), id: z.string().min(1).max(256) }),
]);

export const BudgetPeriodSchema = z.enum(['day', 'month']);

/** `ok` under the soft limit; `soft_exceeded`: calls go through with a warning; `hard_exceeded`: calls are refused. */
export const BudgetStatusSchema = z.enum(['ok', 'soft_exceeded', 'hard_exceeded']);

export const BudgetStateEntrySchema = z.object({
  budgetId: z.string().min(1).max(64),
  scope: BudgetScopeSchema,
  period: BudgetPeriodSchema,
  /** The current period, UTC: [periodStart, periodEnd). */
  periodStart: z.iso.datetime({ offset: true }),
  periodEnd: z.iso.datetime({ offset: true }),
  softLimitUsd: DecimalUsdSchema.nullable(),
  hardLimitUsd: DecimalUsdSchema.nullable(),
  /** What the ledger (the source of truth) has recorded in the period so far. */
  spentUsd: DecimalUsdSchema,
  status: BudgetStatusSchema,
});

/**
 * Every budget of one tenant with the ledger's spend in the current period, published by the
 * cost-ledger when a budget changes, a status changes, or (throttled) spend moves. Keyed by tenant
 * on a compacted topic, so the latest message per tenant is the whole truth: gateways replace,
 * never merge; an empty list means the tenant has no budgets. Gateways take the limits for
 * admission from it, and raise their counters to `spentUsd` (the ledger corrects the counters).
 */
export const BudgetStateV1Schema = z.object({
  ...envelopeShape,
  type: z.literal('budget.state'),
  version: z.literal(1),
  budgets: z.array(BudgetStateEntrySchema).max(10_000),
});

export type BudgetStateV1 = z.infer<typeof BudgetStateV1Schema>;
export type BudgetStateEntry = z.infer<typeof BudgetStateEntrySchema>;
export type BudgetScope = z.infer<typeof BudgetScopeSchema>;
export type BudgetPeriod = z.infer<typeof BudgetPeriodSchema>;
export type BudgetStatus = z.infer<typeof BudgetStatusSchema>;

export const BudgetStateV1 = defineEvent({
  topic: TOPICS.budgetState,
  type: 'budget.state',
  version: 1,
  schema: BudgetStateV1Schema,
  compacted: true,
});
