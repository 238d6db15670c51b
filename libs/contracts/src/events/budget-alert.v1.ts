import { z } from 'zod';
import { envelopeShape } from './envelope';
import { defineEvent } from './define-event';
import { BudgetPeriodSchema, BudgetScopeSchema } from './budget-state.v1';
import { DecimalUsdSchema } from './llm-call.v1';
import { TOPICS } from '../topics';

/**
 * A budget's spend crossed its soft (or hard) limit. Published by the cost-ledger at most once per
 * budget, period and threshold, when the ledger's spend first reaches the limit: a notification
 * for people (mail, chat, governance log), not an admission signal (that is budget.state.v1).
 */
export const BudgetAlertV1Schema = z.object({
  ...envelopeShape,
  type: z.literal('budget.alert'),
  version: z.literal(1),
  budgetId: z.string().min(1).max(64),
  scope: BudgetScopeSchema,
  period: BudgetPeriodSchema,
  periodStart: z.iso.datetime({ offset: true }),
  periodEnd: z.iso.datetime({ offset: true }),
  threshold: z.enum(['soft', 'hard']),
  limitUsd: DecimalUsdSchema,
  spentUsd: DecimalUsdSchema,
});

export type BudgetAlertV1 = z.infer<typeof BudgetAlertV1Schema>;

export const BudgetAlertV1 = defineEvent({
  topic: TOPICS.budgetAlert,
  type: 'budget.alert',
  version: 1,
  schema: BudgetAlertV1Schema,
  compacted: false,
});
