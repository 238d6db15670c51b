import type { FinishReason, ProviderUsage } from '../provider';

/**
 * The parts of OpenAI's Chat Completions and Embeddings wire format the adapter reads. Azure
 * OpenAI, vLLM and Ollama answer in the same shape. Everything is optional: upstreams differ in
 * what they fill in, and a missing field must degrade, not crash.
 */
export interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
  /** Reported by some OpenAI-compatible routers (OpenRouter, LiteLLM), in USD. */
  cost?: number;
}

export interface OpenAiMessage {
  role?: string;
  content?: string | null;
  [field: string]: unknown;
}

export interface OpenAiChatCompletion {
  id?: string;
  model?: string;
  choices?: { index?: number; message?: OpenAiMessage; finish_reason?: string | null }[];
  usage?: OpenAiUsage | null;
}

export interface OpenAiChatChunk {
  id?: string;
  model?: string;
  choices?: { index?: number; delta?: OpenAiMessage; finish_reason?: string | null }[];
  usage?: OpenAiUsage | null;
  /** Some upstreams report a failure inside an open stream. */
  error?: unknown;
}

export interface OpenAiEmbeddings {
  model?: string;
  data?: { index?: number; embedding?: number[] }[];
  usage?: { prompt_tokens?: number } | null;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** OpenAI's usage already follows the normalised convention: prompt_tokens includes cached reads. */
export function usageFromOpenAi(usage: OpenAiUsage): ProviderUsage {
  return {
    inputTokens: count(usage.prompt_tokens),
    outputTokens: count(usage.completion_tokens),
    cachedReadTokens: count(usage.prompt_tokens_details?.cached_tokens),
    // OpenAI's automatic prompt caching bills no separate cache writes.
    cacheWriteTokens: 0,
    reasoningTokens: count(usage.completion_tokens_details?.reasoning_tokens),
  };
}

export function providerCostFromOpenAi(usage: OpenAiUsage | null | undefined): string | undefined {
  return typeof usage?.cost === 'number' && Number.isFinite(usage.cost) ? String(usage.cost) : undefined;
}

export function finishReasonFromOpenAi(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'length':
    case 'content_filter':
    case 'tool_calls':
      return reason;
    case 'function_call':
      return 'tool_calls';
    default:
      return 'stop';
  }
}

/** Message (or delta) fields besides role and content that carry something: tool_calls, refusal, annotations, audio. */
export function extraMessageFields(message: OpenAiMessage | undefined): Record<string, unknown> | undefined {
  if (!message) return undefined;
  let extra: Record<string, unknown> | undefined;
  for (const [field, value] of Object.entries(message)) {
    if (field === 'role' || field === 'content' || value === null || value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    (extra ??= {})[field] = value;
  }
  return extra;
}
