import { z } from 'zod';
import { envelopeShape } from './envelope';
import { defineEvent } from './define-event';
import { TOPICS } from '../topics';

/**
 * A message a consumer could not take: it failed validation, or its handler kept failing.
 * The original bytes are kept verbatim (base64) so that nothing is lost and it can be replayed.
 * `tenantId` is the original message's key, or `unknown` when it had none.
 */
export const DeadLetterV1Schema = z.object({
  ...envelopeShape,
  type: z.literal('dead-letter'),
  version: z.literal(1),
  sourceTopic: z.string().min(1),
  consumerGroup: z.string().min(1),
  reason: z.enum(['invalid', 'handler_failed']),
  detail: z.string().max(8000),
  attempts: z.number().int().nonnegative(),
  originalKey: z.string().nullable(),
  originalValueBase64: z.string(),
  originalHeaders: z.record(z.string(), z.string()),
});

export type DeadLetterV1 = z.infer<typeof DeadLetterV1Schema>;

export const DeadLetterV1 = defineEvent({
  topic: TOPICS.deadLetter,
  type: 'dead-letter',
  version: 1,
  schema: DeadLetterV1Schema,
  compacted: false,
});
