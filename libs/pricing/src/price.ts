/**
 * The price of one model at one provider from a date on. Rates are USD per million tokens as
 * decimal strings (never floats). `version` is what a cost row records so that every figure can be
 * traced back to the exact entry that produced it.
 */
export interface ModelPrice {
  provider: string;
  model: string;
  /** ISO 8601 instant from which this entry applies (until a later entry for the same model). */
  effectiveFrom: string;
  input: string;
  output: string;
  /** Rate of input tokens read from the prompt cache; null: billed at the input rate. */
  cachedRead: string | null;
  /** Rate of input tokens written to the prompt cache; null: billed at the input rate. */
  cacheWrite: string | null;
  /** Rate of reasoning tokens; null: billed as output tokens (OpenAI's and Anthropic's rule). */
  reasoning: string | null;
  /** Rates of the provider's asynchronous batch API; null: no batch discount. */
  batchInput: string | null;
  batchOutput: string | null;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  /** Where the figures come from (a URL, or "tenant: ..." for custom prices). */
  source: string;
  /** When the figures were last checked at the source (YYYY-MM-DD). */
  sourceDate: string | null;
  version: string;
  /** `default`: Tollgate's catalog; `tenant`: the tenant's own custom price. */
  origin: 'default' | 'tenant';
}

/** Token counts of one call, in the OpenAI convention: cached tokens are part of input tokens, reasoning tokens part of output tokens. */
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
