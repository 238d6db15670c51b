import { z } from 'zod';
import { envelopeShape } from './envelope';
import { defineEvent } from './define-event';
import { TOPICS } from '../topics';

export const PlanSchema = z.enum(['free', 'pro', 'enterprise']);
export const RegionSchema = z.enum(['us', 'eu', 'global']);
export const PrivacyModeSchema = z.enum(['none', 'metadata', 'full']);

/**
 * The full set of a tenant's API keys and the tenant settings the hot path needs, published by
 * guardrails whenever any of them changes. Keyed by tenant id on a compacted topic, so the latest
 * message per tenant is the whole truth: a consumer replaces, never merges.
 * Keys travel only as SHA-256 hashes; the plaintext exists once, when it is created.
 */
export const GovernanceApiKeySnapshotV1Schema = z.object({
  ...envelopeShape,
  type: z.literal('governance.apikey'),
  version: z.literal(1),
  tenant: z.object({
    name: z.string().min(1).max(200),
    plan: PlanSchema,
    region: RegionSchema,
    privacyMode: PrivacyModeSchema,
    active: z.boolean(),
  }),
  keys: z
    .array(
      z.object({
        id: z.string().min(1).max(64),
        hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256'),
        prefix: z.string().max(16),
        userId: z.string().max(128).nullable(),
        active: z.boolean(),
        expiresAt: z.iso.datetime({ offset: true }).nullable(),
      }),
    )
    .max(100_000),
});

export type GovernanceApiKeySnapshotV1 = z.infer<typeof GovernanceApiKeySnapshotV1Schema>;
export type Plan = z.infer<typeof PlanSchema>;
export type Region = z.infer<typeof RegionSchema>;
export type PrivacyMode = z.infer<typeof PrivacyModeSchema>;

export const GovernanceApiKeySnapshotV1 = defineEvent({
  topic: TOPICS.governanceApiKey,
  type: 'governance.apikey',
  version: 1,
  schema: GovernanceApiKeySnapshotV1Schema,
  compacted: true,
});
