import { z } from 'zod';
import { envelopeShape, UlidSchema } from './envelope';
import { defineEvent } from './define-event';
import { DecimalUsdSchema, MAX_TOKENS_PER_CALL } from './llm-call.v1';
import { TOPICS } from '../topics';

const shortText = z.string().max(256);
const tokenCount = z.number().int().nonnegative().max(MAX_TOKENS_PER_CALL);

/**
 * One cost row, as the ledger recorded it for one `llm.call.v1` (for traces and analytics).
 * `id` is the cost row's id, so a copy published again (after a redelivered call event) carries
 * the same id and consumers can drop it. `occurredAt` is when the row was recorded;
 * `callOccurredAt` when the call happened. `usdCost` is null for an unpriced model, never "0".
 */
export const CostRecordedV1Schema = z.object({
  ...envelopeShape,
  type: z.literal('cost.recorded'),
  version: z.literal(1),
  callId: UlidSchema,
  apiKeyId: shortText,
  userId: shortText.nullable(),
  agentId: shortText.nullable(),
  workflowId: shortText.nullable(),
  nodeId: shortText.nullable(),
  sessionId: shortText.nullable(),
  provider: shortText,
  model: shortText,
  operation: z.enum(['chat', 'embeddings']),
  usage: z.object({
    inputTokens: tokenCount,
    outputTokens: tokenCount,
    cachedReadTokens: tokenCount,
    cacheWriteTokens: tokenCount,
    reasoningTokens: tokenCount,
  }),
  usdCost: DecimalUsdSchema.nullable(),
  priceStatus: z.enum(['priced', 'unpriced']),
  /** The price entry that produced usdCost (`catalog-...` for the default catalog, `tenant@...` for a custom price). */
  priceVersion: shortText.nullable(),
  providerCostUsd: DecimalUsdSchema.nullable(),
  /** The provider's own figure differs from Tollgate's by more than 1%. */
  costMismatch: z.boolean(),
  callOccurredAt: z.iso.datetime({ offset: true }),
});

export type CostRecordedV1 = z.infer<typeof CostRecordedV1Schema>;

export const CostRecordedV1 = defineEvent({
  topic: TOPICS.costRecorded,
  type: 'cost.recorded',
  version: 1,
  schema: CostRecordedV1Schema,
  compacted: false,
});
