import { z } from 'zod';
import catalogFile from './data/default-catalog.json';
import { PRICE_PATTERN } from './money';
import { PriceCatalog } from './price-catalog';
import type { ModelPrice } from './price';

const rate = z.string().regex(PRICE_PATTERN, 'must be a decimal string with at most 6 decimals, e.g. "2.50"');
const tokens = z.number().int().nonnegative().nullable();

const CatalogEntrySchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1),
  effectiveFrom: z.iso.datetime({ offset: true }),
  input: rate,
  output: rate,
  cachedRead: rate.nullable(),
  cacheWrite: rate.nullable(),
  reasoning: rate.nullable(),
  batchInput: rate.nullable(),
  batchOutput: rate.nullable(),
  contextWindow: tokens,
  maxOutputTokens: tokens,
  source: z.string().min(1),
  sourceDate: z.iso.date().nullable(),
});

/** The shape of `data/default-catalog.json` (and of any replacement catalog file). */
export const PriceCatalogFileSchema = z.object({
  version: z.string().min(1).max(64),
  currency: z.literal('USD'),
  unit: z.literal('USD per 1,000,000 tokens'),
  about: z.array(z.string()),
  prices: z.array(CatalogEntrySchema).min(1),
});

export type PriceCatalogFile = z.infer<typeof PriceCatalogFileSchema>;

/** Builds a catalog from file data; throws naming each bad entry, so a broken catalog fails at start-up. */
export function catalogFromFile(data: unknown): PriceCatalog {
  const parsed = PriceCatalogFileSchema.safeParse(data);
  if (!parsed.success) {
    throw new Error(`invalid price catalog: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const file = parsed.data;
  const prices: ModelPrice[] = file.prices.map((entry) => ({ ...entry, version: file.version, origin: 'default' }));
  return new PriceCatalog(file.version, prices);
}

let defaultCatalog: PriceCatalog | undefined;

/** Tollgate's shipped catalog (`data/default-catalog.json`), validated once. */
export function defaultPriceCatalog(): PriceCatalog {
  defaultCatalog ??= catalogFromFile(catalogFile);
  return defaultCatalog;
}
