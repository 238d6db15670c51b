import { z } from 'zod';
import { envelopeShape, UlidSchema } from './envelope';
import { defineEvent } from './define-event';
import { PlanSchema, PrivacyModeSchema, RegionSchema } from './governance-apikey.v1';
import { TOPICS } from '../topics';

/**
 * Token counts larger than this are treated as corrupt input rather than priced: no model has a
 * context window near it, and pricing a garbage count would put a wrong number on a customer's bill.
 */
export const MAX_TOKENS_PER_CALL = 50_000_000;

const tokenCount = z
  .number()
  .int('must be a whole number of tokens')
  .nonnegative('must not be negative')
  .max(MAX_TOKENS_PER_CALL, `must be at most ${MAX_TOKENS_PER_CALL}`);

/** Decimal USD as a string ("0.000123"), never a float. */
export const DecimalUsdSchema = z.string().regex(/^\d{1,12}(\.\d{1,18})?$/, 'must be a non-negative decimal string');

const shortText = z.string().max(256);

export const UsageSchema = z.object({
  inputTokens: tokenCount,
  outputTokens: tokenCount,
  /** Input tokens served from the provider's prompt cache (a subset of inputTokens). */
  cachedReadTokens: tokenCount,
  /** Input tokens written to the provider's prompt cache (a subset of inputTokens). */
  cacheWriteTokens: tokenCount,
  /** Reasoning tokens (a subset of outputTokens). */
  reasoningTokens: tokenCount,
  totalTokens: tokenCount,
  /** Whether the provider reported the counts, or Tollgate estimated them (e.g. a cut stream). */
  source: z.enum(['provider', 'estimated']),
});

export const AttemptSchema = z.object({
  provider: shortText,
  model: shortText,
  deployment: shortText.nullable(),
  /** HTTP status from the provider, null when no response arrived (timeout, connection error). */
  status: z.number().int().min(100).max(599).nullable(),
  latencyMs: z.number().nonnegative(),
  errorClass: z.enum(['timeout', 'connection', 'rate_limited', 'server_error', 'client_error', 'stream_cut']).nullable(),
});

export const RouteDecisionSchema = z.object({
  provider: shortText,
  model: shortText,
  deployment: shortText.nullable(),
  region: RegionSchema.nullable(),
  rule: shortText.nullable(),
  reason: z.string().max(1000).nullable(),
  policyVersion: z.number().int().nonnegative().nullable(),
  candidates: z.array(shortText).max(100),
});

export const GuardrailDecisionSchema = z.object({
  policyId: shortText,
  policyVersion: z.number().int().nonnegative(),
  rule: shortText.nullable(),
  decision: z.enum(['allow', 'warn', 'block', 'redact']),
});

export const LlmCallOutcomeSchema = z.enum(['ok', 'failed', 'blocked', 'truncated']);

/**
 * One LLM call through the gateway, whatever its outcome. This is the fact every other service
 * derives from (cost, similarity, traces, recovery, analytics).
 * Prompt content appears only when the tenant's privacy mode is `full`; `metadata` (the default)
 * keeps counts and the content-free fingerprint; `none` keeps neither.
 */
export const LlmCallV1Schema = z.object({
  ...envelopeShape,
  type: z.literal('llm.call'),
  version: z.literal(1),
  callId: UlidSchema,
  requestId: shortText,
  apiKeyId: shortText,
  userId: shortText.nullable(),
  /** The OpenAI `user` field, as the client sent it. */
  endUser: shortText.nullable(),
  attribution: z.object({
    agentId: shortText.nullable(),
    workflowId: shortText.nullable(),
    nodeId: shortText.nullable(),
    sessionId: shortText.nullable(),
  }),
  plan: PlanSchema,
  region: RegionSchema,
  operation: z.enum(['chat', 'embeddings']),
  requestedModel: shortText,
  stream: z.boolean(),
  route: RouteDecisionSchema.nullable(),
  attempts: z.array(AttemptSchema).max(50),
  usage: UsageSchema,
  /** What the provider itself said the call cost, when it says so. */
  providerCostUsd: DecimalUsdSchema.nullable(),
  responseModel: shortText.nullable(),
  finishReasons: z.array(shortText).max(128),
  startedAt: z.iso.datetime({ offset: true }),
  latencyMs: z.number().nonnegative(),
  timeToFirstTokenMs: z.number().nonnegative().nullable(),
  outcome: LlmCallOutcomeSchema,
  error: z
    .object({ type: shortText, code: shortText.nullable(), message: z.string().max(4000) })
    .nullable(),
  guardrails: z.array(GuardrailDecisionSchema).max(100),
  privacyMode: PrivacyModeSchema,
  /** SHA-256 over the normalised prompt: lets similarity group calls without seeing content. */
  promptFingerprint: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  promptStats: z.object({ messageCount: z.number().int().nonnegative(), characters: z.number().int().nonnegative() }).nullable(),
  content: z
    .object({
      messages: z.array(z.object({ role: shortText, content: z.string() })),
      completion: z.string().nullable(),
    })
    .nullable(),
  traceId: z.string().regex(/^[0-9a-f]{32}$/).nullable(),
});

export type LlmCallV1 = z.infer<typeof LlmCallV1Schema>;
export type LlmCallUsage = z.infer<typeof UsageSchema>;
export type LlmCallAttempt = z.infer<typeof AttemptSchema>;
export type RouteDecision = z.infer<typeof RouteDecisionSchema>;
export type LlmCallOutcome = z.infer<typeof LlmCallOutcomeSchema>;

export const LlmCallV1 = defineEvent({
  topic: TOPICS.llmCall,
  type: 'llm.call',
  version: 1,
  schema: LlmCallV1Schema.superRefine((event, ctx) => {
    const u = event.usage;
    if (u.cachedReadTokens + u.cacheWriteTokens > u.inputTokens) {
      ctx.addIssue({ code: 'custom', path: ['usage', 'cachedReadTokens'], message: 'cached read + cache write tokens exceed input tokens' });
    }
    if (u.reasoningTokens > u.outputTokens) {
      ctx.addIssue({ code: 'custom', path: ['usage', 'reasoningTokens'], message: 'reasoning tokens exceed output tokens' });
    }
    if (event.privacyMode !== 'full' && event.content !== null) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: `content must be null when privacyMode is ${event.privacyMode}` });
    }
  }),
  compacted: false,
});
