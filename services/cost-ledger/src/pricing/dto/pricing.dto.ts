import { z } from 'zod';
import { PRICE_PATTERN } from '@tollgate/pricing';
import type { ModelPrice } from '@tollgate/pricing';
import type { RepriceJob } from '../entities/reprice-job.entity';
import { normaliseDecimal } from '@tollgate/pricing';

const rate = z
  .string({ error: 'must be a decimal string of USD per million tokens, e.g. "2.50" (not a number: money is never a float)' })
  .regex(PRICE_PATTERN, 'must be a decimal string of USD per million tokens with at most 6 decimals, e.g. "2.50"');
const name = z.string().min(1).max(256);
const instant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z' });

const CustomPriceSchema = z.strictObject({
  provider: name,
  model: name,
  input_per_mtok: rate,
  output_per_mtok: rate,
  cached_read_per_mtok: rate.nullable().default(null),
  cache_write_per_mtok: rate.nullable().default(null),
  reasoning_per_mtok: rate.nullable().default(null),
  batch_input_per_mtok: rate.nullable().default(null),
  batch_output_per_mtok: rate.nullable().default(null),
  context_window: z.number().int().positive().max(100_000_000).nullable().default(null),
  max_output_tokens: z.number().int().nonnegative().max(100_000_000).nullable().default(null),
  /** From when the price applies; default now. A past date plus `reprice` corrects calls already recorded. */
  effective_from: instant.optional(),
  note: z.string().max(500).nullable().default(null),
});

const RangeShape = {
  from: instant,
  to: instant,
};

function rangeIsValid(r: { from: string; to: string }): boolean {
  return Date.parse(r.from) < Date.parse(r.to);
}

/** Body of PUT /api/v1/pricing: custom prices added to the tenant's history; optionally re-price the calls in a range. */
export const PutPricingBodySchema = z.strictObject({
  prices: z.array(CustomPriceSchema).min(1, 'must list at least one price').max(100, 'must list at most 100 prices'),
  reprice: z.strictObject(RangeShape).refine(rangeIsValid, { message: 'to must be after from', path: ['to'] }).optional(),
});

export type PutPricingBody = z.infer<typeof PutPricingBodySchema>;
export type CustomPriceInput = z.infer<typeof CustomPriceSchema>;

/** Body of POST /api/v1/pricing/reprice. */
export const RepriceBodySchema = z
  .strictObject({ ...RangeShape, provider: name.optional(), model: name.optional() })
  .refine(rangeIsValid, { message: 'must be after from', path: ['to'] })
  .refine((b) => b.model === undefined || b.provider !== undefined, { message: 'model needs provider', path: ['provider'] });

export type RepriceBody = z.infer<typeof RepriceBodySchema>;

export const GetPricingQuerySchema = z.strictObject({
  provider: name.optional(),
  model: name.optional(),
  /** Prices in effect at this instant (default now). */
  at: instant.optional(),
  /** `true`: every entry, superseded and future ones included. */
  history: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true').optional(),
});

export interface PriceDto {
  object: 'model_price';
  provider: string;
  model: string;
  origin: 'default' | 'tenant';
  version: string;
  effective_from: string;
  input_per_mtok: string;
  output_per_mtok: string;
  cached_read_per_mtok: string | null;
  cache_write_per_mtok: string | null;
  reasoning_per_mtok: string | null;
  batch_input_per_mtok: string | null;
  batch_output_per_mtok: string | null;
  context_window: number | null;
  max_output_tokens: number | null;
  source: string;
  source_date: string | null;
}

export function toPriceDto(price: ModelPrice): PriceDto {
  return {
    object: 'model_price',
    provider: price.provider,
    model: price.model,
    origin: price.origin,
    version: price.version,
    effective_from: new Date(price.effectiveFrom).toISOString(),
    input_per_mtok: price.input,
    output_per_mtok: price.output,
    cached_read_per_mtok: price.cachedRead,
    cache_write_per_mtok: price.cacheWrite,
    reasoning_per_mtok: price.reasoning,
    batch_input_per_mtok: price.batchInput,
    batch_output_per_mtok: price.batchOutput,
    context_window: price.contextWindow,
    max_output_tokens: price.maxOutputTokens,
    source: price.source,
    source_date: price.sourceDate,
  };
}

export interface RepriceJobDto {
  object: 'reprice_job';
  id: string;
  provider: string | null;
  model: string | null;
  from: string;
  to: string;
  price_fingerprint: string;
  status: 'running' | 'completed' | 'failed';
  rows_examined: number;
  rows_changed: number;
  /** New total minus old total of the re-priced rows (decimal USD, may be negative). */
  usd_delta: string;
  error: string | null;
  requested_at: string;
  finished_at: string | null;
}

export function toRepriceJobDto(job: RepriceJob): RepriceJobDto {
  return {
    object: 'reprice_job',
    id: job.id,
    provider: job.provider,
    model: job.model,
    from: job.fromTime.toISOString(),
    to: job.toTime.toISOString(),
    price_fingerprint: job.priceFingerprint,
    status: job.status,
    rows_examined: job.rowsExamined,
    rows_changed: job.rowsChanged,
    usd_delta: normaliseDecimal(job.usdDelta),
    error: job.error,
    requested_at: job.requestedAt.toISOString(),
    finished_at: job.finishedAt?.toISOString() ?? null,
  };
}
