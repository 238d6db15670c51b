export interface ChatCompletionToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One fragment of a streamed tool call: index, id and name first, then pieces of the arguments. */
export interface ChatCompletionToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

/** The OpenAI `chat.completion` object Tollgate returns. */
export interface ChatCompletionResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    /** `content` is null on an answer that is only tool calls; tool_calls etc. as the upstream sent them. */
    message: { role: 'assistant'; content: string | null; refusal: null; tool_calls?: ChatCompletionToolCall[]; [field: string]: unknown };
    logprobs: null;
    finish_reason: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  }>;
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: { cached_tokens: number };
    completion_tokens_details: { reasoning_tokens: number };
  };
  system_fingerprint: null;
}

/** One SSE chunk of a streamed chat completion (`chat.completion.chunk`). */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: null;
  choices: Array<{
    index: number;
    /** Besides role and content: `tool_calls` fragments (and `refusal`, ...) as OpenAI streams them. */
    delta: { role?: 'assistant'; content?: string; tool_calls?: ChatCompletionToolCallDelta[]; [field: string]: unknown };
    logprobs: null;
    finish_reason: 'stop' | 'length' | 'tool_calls' | 'content_filter' | null;
  }>;
}
