/**
 * The contract between the gateway and every upstream (OpenAI, Azure OpenAI, Anthropic, any
 * OpenAI-compatible server, the offline mock). The gateway speaks OpenAI's chat format to clients;
 * adapters translate to and from their upstream's wire format and normalise usage.
 */

/** A tool call the model made, in OpenAI's shape (`arguments` is a JSON string, as the model wrote it). */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A chat message as the gateway validated it (OpenAI shape, text content). */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  /** Null only on an assistant message that carries tool_calls (or, from old clients, an empty turn). */
  content: string | null;
  name?: string;
  /** Assistant messages: the tool calls the model made in that turn. */
  tool_calls?: ChatToolCall[];
  /** Tool messages: the id of the tool call this message answers. */
  tool_call_id?: string;
}

export interface ProviderChatRequest {
  /** The upstream's own model (or Azure deployment) name: no `provider/` prefix. */
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  /** The OpenAI `user` field. */
  user?: string;
  /**
   * Every other OpenAI field the client sent (tools, response_format, seed, ...), passed through
   * untouched to OpenAI-compatible upstreams; adapters for other formats translate what they can.
   */
  extra?: Record<string, unknown>;
}

/** Usage normalised to OpenAI's convention: input tokens INCLUDE cached reads and cache writes. */
export interface ProviderUsage {
  inputTokens: number;
  outputTokens: number;
  cachedReadTokens: number;
  cacheWriteTokens: number;
  /** A subset of outputTokens. */
  reasoningTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ProviderChatResponse {
  id: string;
  /** The model the upstream says answered. */
  model: string;
  content: string;
  finishReason: FinishReason;
  usage: ProviderUsage;
  usageSource: 'provider' | 'estimated';
  /** USD the upstream itself reported for this call, as a decimal string, when it does. */
  providerCostUsd?: string;
  /**
   * Assistant-message fields besides `content` (tool_calls, refusal, annotations, ...) in OpenAI's
   * shape, passed back to the client as they came; they are spread over the message after
   * `content`. An answer that is only tool calls carries `content: null` here, as OpenAI sends it.
   */
  extraMessageFields?: Record<string, unknown>;
}

/**
 * What a streaming call yields, in order: any number of `delta`s, then exactly one `finish`
 * (finish reason and usage, which the adapter ALWAYS obtains: for OpenAI-compatible upstreams it
 * sets `stream_options.include_usage`). A stream cut mid-way throws a ProviderError with
 * `errorClass: 'stream_cut'` after the deltas already yielded.
 */
export type ProviderStreamEvent =
  /**
   * `raw`: the chunk's delta fields besides content (`tool_calls`, `refusal`, ...) in OpenAI's
   * chunk-delta shape, for the gateway to pass on; Anthropic's tool_use blocks arrive translated.
   */
  | { type: 'delta'; content: string; raw?: Record<string, unknown> }
  | { type: 'finish'; id: string; model: string; finishReason: FinishReason; usage: ProviderUsage; usageSource: 'provider' | 'estimated' };

export interface ProviderEmbeddingRequest {
  model: string;
  input: string[];
  dimensions?: number;
  user?: string;
}

export interface ProviderEmbeddingResponse {
  model: string;
  embeddings: number[][];
  usage: { inputTokens: number };
}

export type ProviderErrorClass = 'timeout' | 'connection' | 'rate_limited' | 'server_error' | 'client_error' | 'stream_cut';

/**
 * Every upstream failure, classified so that the gateway's retry and breaker logic never parses
 * messages: 429/5xx/timeouts/connection errors are retryable, other 4xx are the client's fault.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly errorClass: ProviderErrorClass,
    readonly options: {
      /** HTTP status from the upstream; undefined when no response arrived. */
      status?: number;
      /** From the upstream's Retry-After (seconds or HTTP date) or retry-after-ms header. */
      retryAfterMs?: number;
      /** The upstream's own error body, for passing 4xx details back to the client. */
      upstreamBody?: unknown;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
  }

  get status(): number | undefined {
    return this.options.status;
  }

  get retryable(): boolean {
    return this.errorClass !== 'client_error';
  }
}

export interface ProviderCallContext {
  /** Aborts the upstream request (client went away, deadline passed). */
  signal: AbortSignal;
}

/** One configured upstream endpoint (a "deployment" in routing terms) that adapters serve. */
export interface ChatProvider {
  /** Provider kind for telemetry (`gen_ai.provider.name`): openai, azure.ai.openai, anthropic, mock, ... */
  readonly providerName: string;
  complete(request: ProviderChatRequest, context: ProviderCallContext): Promise<ProviderChatResponse>;
  stream(request: ProviderChatRequest, context: ProviderCallContext): AsyncIterable<ProviderStreamEvent>;
  /** Undefined when the upstream offers no embeddings (Anthropic). */
  embed?(request: ProviderEmbeddingRequest, context: ProviderCallContext): Promise<ProviderEmbeddingResponse>;
  /** Releases pooled connections. */
  close?(): Promise<void>;
}
