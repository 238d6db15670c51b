import { z } from 'zod';

/** ULID: 26 Crockford base-32 characters, time-ordered. */
export const UlidSchema = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a ULID');

export const TenantIdSchema = z.string().min(1).max(128);

/**
 * Fields every event carries. `type` and `version` are fixed per event schema; the W3C trace
 * context travels in the transport's headers, not in the body.
 */
export const envelopeShape = {
  id: UlidSchema,
  occurredAt: z.iso.datetime({ offset: true }),
  tenantId: TenantIdSchema,
};
