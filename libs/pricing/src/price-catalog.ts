import Decimal from 'decimal.js';
import starter from './data/starter-prices.json';

/** USD per million tokens, as decimal strings; null means "bill at the input (or output) rate". */
export interface ModelPrice {
  provider: string;
  model: string;
  input: string;
  output: string;
  cachedRead: string | null;
  cacheWrite: string | null;
  reasoning: string | null;
  version: string;
  effectiveFrom: string;
  source: string;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export interface PricedCost {
  /** Exact USD as a decimal string, e.g. "0.0000125". */
  usd: string;
  priceVersion: string;
}

const PER_MILLION = new Decimal(1_000_000);

/**
 * Cost of one call, exact. Input tokens include cached ones (the OpenAI convention, which the
 * gateway normalises every provider to); reasoning tokens are part of output tokens.
 */
export function costOf(usage: TokenUsage, price: ModelPrice): PricedCost {
  const rate = (value: string | null, fallback: string) => new Decimal(value ?? fallback);
  const uncachedInput = usage.inputTokens - usage.cachedReadTokens - usage.cacheWriteTokens;
  if (uncachedInput < 0) throw new RangeError('cached tokens exceed input tokens');
  const plainOutput = price.reasoning === null ? usage.outputTokens : usage.outputTokens - usage.reasoningTokens;
  const micro = new Decimal(uncachedInput)
    .mul(price.input)
    .plus(new Decimal(usage.cachedReadTokens).mul(rate(price.cachedRead, price.input)))
    .plus(new Decimal(usage.cacheWriteTokens).mul(rate(price.cacheWrite, price.input)))
    .plus(new Decimal(plainOutput).mul(price.output))
    .plus(price.reasoning === null ? 0 : new Decimal(usage.reasoningTokens).mul(price.reasoning));
  return { usd: micro.div(PER_MILLION).toFixed(), priceVersion: price.version };
}

/** Prices looked up by provider and model; a model without a price is unpriced, never free. */
export class PriceCatalog {
  private readonly byModel = new Map<string, ModelPrice>();

  constructor(prices: readonly ModelPrice[]) {
    for (const price of prices) this.byModel.set(`${price.provider}/${price.model}`, price);
  }

  find(provider: string, model: string): ModelPrice | undefined {
    return this.byModel.get(`${provider}/${model}`);
  }

  static starter(): PriceCatalog {
    return new PriceCatalog(
      starter.prices.map((p) => ({ ...p, version: starter.version, effectiveFrom: starter.effectiveFrom })),
    );
  }
}
