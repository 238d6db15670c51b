import Decimal from 'decimal.js';
import type { ModelPrice, PricedCost, TokenUsage } from './price';

const PER_MILLION = new Decimal(1_000_000);

export interface CostOptions {
  /** Bill at the batch API's rates (where the model has them). */
  batch?: boolean;
}

function inputRate(price: ModelPrice, options: CostOptions): string {
  return options.batch ? (price.batchInput ?? price.input) : price.input;
}

function outputRate(price: ModelPrice, options: CostOptions): string {
  return options.batch ? (price.batchOutput ?? price.output) : price.output;
}

/** A rate of at most 6 decimals as an integer number of 10^-6 USD per million tokens. */
function scaledRate(rate: string): bigint {
  const [whole, fraction = ''] = rate.split('.');
  if (fraction.length > 6) throw new RangeError(`price ${rate} has more than 6 decimals`);
  return BigInt(whole + fraction.padEnd(6, '0'));
}

interface ScaledRates {
  input: bigint;
  cachedRead: bigint;
  cacheWrite: bigint;
  output: bigint;
  reasoning: bigint | null;
}

/** Per price entry and mode, parsed once: the ledger prices thousands of calls a second with a handful of entries. */
const scaledCache = new WeakMap<ModelPrice, { normal?: ScaledRates; batch?: ScaledRates }>();

function ratesOf(price: ModelPrice, options: CostOptions): ScaledRates {
  let cached = scaledCache.get(price);
  if (!cached) scaledCache.set(price, (cached = {}));
  const mode = options.batch ? 'batch' : 'normal';
  const hit = cached[mode];
  if (hit) return hit;
  const input = scaledRate(inputRate(price, options));
  const rates: ScaledRates = {
    input,
    cachedRead: price.cachedRead === null ? input : scaledRate(price.cachedRead),
    cacheWrite: price.cacheWrite === null ? input : scaledRate(price.cacheWrite),
    output: scaledRate(outputRate(price, options)),
    reasoning: price.reasoning === null ? null : scaledRate(price.reasoning),
  };
  cached[mode] = rates;
  return rates;
}

/** 10^-12 USD as a decimal string without trailing zeros: 1050000n → "0.00000105". */
function picoUsdToString(pico: bigint): string {
  const digits = pico.toString().padStart(13, '0');
  const whole = digits.slice(0, -12);
  const fraction = digits.slice(-12).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/**
 * Cost of one call, exact. Input tokens include cached ones (the OpenAI convention, which the
 * gateway normalises every provider to); reasoning tokens are part of output tokens.
 * Integer arithmetic in 10^-12 USD: tokens x (rate with at most 6 decimals) / 10^6 needs at most
 * 12 decimals, so nothing is ever rounded (and it is ~20x faster than decimal.js on the hot path).
 */
export function costOf(usage: TokenUsage, price: ModelPrice, options: CostOptions = {}): PricedCost {
  const uncachedInput = usage.inputTokens - usage.cachedReadTokens - usage.cacheWriteTokens;
  if (uncachedInput < 0) throw new RangeError('cached tokens exceed input tokens');
  if (usage.reasoningTokens > usage.outputTokens) throw new RangeError('reasoning tokens exceed output tokens');
  const rates = ratesOf(price, options);
  const plainOutput = rates.reasoning === null ? usage.outputTokens : usage.outputTokens - usage.reasoningTokens;
  const pico =
    BigInt(uncachedInput) * rates.input +
    BigInt(usage.cachedReadTokens) * rates.cachedRead +
    BigInt(usage.cacheWriteTokens) * rates.cacheWrite +
    BigInt(plainOutput) * rates.output +
    (rates.reasoning === null ? 0n : BigInt(usage.reasoningTokens) * rates.reasoning);
  return { usd: picoUsdToString(pico), priceVersion: price.version };
}

export interface CostEstimateInput {
  inputTokens: number;
  /** The most the call may produce: the request's max_tokens, else the model's own limit. */
  maxOutputTokens: number;
}

export interface CostEstimate {
  /** Upper bound of the call's cost: every input token uncached, every output token at the dearest output rate. */
  maxUsd: string;
  inputUsd: string;
  maxOutputUsd: string;
  priceVersion: string;
}

/**
 * The most a call can cost before it is sent: what the gateway reserves against a hard budget and
 * what POST /api/v1/costs/estimate answers. Cache discounts are not assumed (a cache hit is not
 * known in advance), so the real cost is never above it.
 */
export function estimateMaxCost(input: CostEstimateInput, price: ModelPrice, options: CostOptions = {}): CostEstimate {
  if (input.inputTokens < 0 || input.maxOutputTokens < 0) throw new RangeError('token counts must not be negative');
  const output = outputRate(price, options);
  const dearestOutput = price.reasoning !== null && new Decimal(price.reasoning).greaterThan(output) ? price.reasoning : output;
  const inputUsd = new Decimal(input.inputTokens).mul(inputRate(price, options)).div(PER_MILLION);
  const maxOutputUsd = new Decimal(input.maxOutputTokens).mul(dearestOutput).div(PER_MILLION);
  return { maxUsd: inputUsd.plus(maxOutputUsd).toFixed(), inputUsd: inputUsd.toFixed(), maxOutputUsd: maxOutputUsd.toFixed(), priceVersion: price.version };
}
