import { z } from 'zod';

const day = z.iso.date({ error: 'must be a date, YYYY-MM-DD (UTC)' });
const MAX_DAYS = 366;

/** Query of GET /api/v1/costs/summary: whole UTC days, [from, to). */
export const CostSummaryQuerySchema = z
  .strictObject({
    group_by: z.enum(['day', 'model', 'agent', 'user', 'workflow', 'api_key'], { error: 'must be day, model, agent, user, workflow or api_key' }).default('day'),
    from: day.optional(),
    to: day.optional(),
  })
  .transform((q) => {
    const to = q.to ?? new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const from = q.from ?? new Date(Date.parse(to) - 30 * 86_400_000).toISOString().slice(0, 10);
    return { group_by: q.group_by, from, to };
  })
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'must be after from (to is exclusive)', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= MAX_DAYS * 86_400_000, { message: `the range may span at most ${MAX_DAYS} days`, path: ['to'] });

export type CostSummaryQuery = z.infer<typeof CostSummaryQuerySchema>;

/** Query of GET /api/v1/costs/unpriced. */
export const UnpricedQuerySchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { message: 'must be after from', path: ['to'] });

const tokens = z.number({ error: 'must be a whole number of tokens' }).int('must be a whole number of tokens').nonnegative('must not be negative').max(50_000_000, 'must be at most 50000000');

const MessageSchema = z.looseObject({
  role: z.string().min(1).max(64),
  content: z.union([z.string(), z.null(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]),
  name: z.string().max(256).optional(),
});

/** Body of POST /api/v1/costs/estimate: an OpenAI-style request (messages) or a bare token count. */
export const EstimateBodySchema = z
  .strictObject({
    model: z.string().min(3).max(256).regex(/^[^/]+\/.+$/, 'must be provider/model, e.g. openai/gpt-4o'),
    messages: z.array(MessageSchema).min(1).max(10_000).optional(),
    input_tokens: tokens.optional(),
    max_tokens: tokens.optional(),
    max_completion_tokens: tokens.optional(),
    batch: z.boolean().default(false),
  })
  .refine((b) => (b.messages === undefined) !== (b.input_tokens === undefined), { message: 'give either messages or input_tokens', path: ['messages'] });

export type EstimateBody = z.infer<typeof EstimateBodySchema>;

export interface CostSummaryRowDto {
  /** The day (YYYY-MM-DD), provider/model, or the agent, user, workflow or API key id; null for calls without one. */
  key: string | null;
  calls: number;
  unpriced_calls: number;
  cost_mismatch_calls: number;
  input_tokens: number;
  output_tokens: number;
  cached_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  /** Priced calls only: unpriced calls are counted, never added as $0. */
  usd_cost: string;
  provider_cost_usd: string;
}

export interface CostSummaryDto {
  object: 'cost_summary';
  group_by: CostSummaryQuery['group_by'];
  from: string;
  to: string;
  currency: 'USD';
  data: CostSummaryRowDto[];
  total: Omit<CostSummaryRowDto, 'key'>;
}

export interface UnpricedUsageDto {
  provider: string;
  model: string;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  first_seen: string;
  last_seen: string;
}

export interface CostEstimateDto {
  object: 'cost_estimate';
  provider: string;
  model: string;
  price_status: 'priced' | 'unpriced';
  price_version: string | null;
  input_tokens: number;
  /** How input_tokens was obtained: counted from messages (o200k tokenizer) or as given. */
  input_tokens_source: 'counted' | 'given';
  max_output_tokens: number;
  input_usd: string | null;
  max_output_usd: string | null;
  /** The most the call can cost (no cache hit assumed, every allowed output token produced); null when unpriced. */
  max_usd: string | null;
}
