/** The part of an OpenAI chat request a provider needs; the gateway validated it already. */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | null;
  name?: string;
}

export interface ProviderChatRequest {
  /** The provider's own model name (no `provider/` prefix). */
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  /** Everything else the client sent, passed through to OpenAI-compatible upstreams. */
  extra?: Record<string, unknown>;
}

/** Usage normalised to OpenAI's convention: input tokens include cached ones. */
export interface ProviderUsage {
  inputTokens: number;
  outputTokens: number;
  cachedReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export interface ProviderChatResponse {
  id: string;
  model: string;
  content: string;
  finishReason: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  usage: ProviderUsage;
  /** Whether the usage came from the upstream or was estimated locally. */
  usageSource: 'provider' | 'estimated';
}

export interface ChatProvider {
  readonly name: string;
  /** Models this provider serves, for `GET /v1/models` and "unknown model" errors. */
  models(): readonly string[];
  complete(request: ProviderChatRequest, signal?: AbortSignal): Promise<ProviderChatResponse>;
}
