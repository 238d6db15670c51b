import { parseEventJson, ServerSentEventDecoder } from '../http/server-sent-events';
import { UpstreamHttp } from '../http/upstream-http';
import { ProviderError } from '../provider';
import type {
  ChatProvider,
  FinishReason,
  ProviderCallContext,
  ProviderChatRequest,
  ProviderChatResponse,
  ProviderEmbeddingRequest,
  ProviderEmbeddingResponse,
  ProviderStreamEvent,
  ProviderUsage,
} from '../provider';
import { roughPromptTokens, roughTokenCount } from '../token-estimate';
import { extraMessageFields, finishReasonFromOpenAi, providerCostFromOpenAi, usageFromOpenAi } from './openai-wire';
import type { OpenAiChatChunk, OpenAiChatCompletion, OpenAiEmbeddings } from './openai-wire';

/** What differs between OpenAI, Azure OpenAI and OpenAI-compatible servers; the wire format does not. */
export interface OpenAiDialect {
  /** `gen_ai.provider.name`. */
  providerName: string;
  /** Names the deployment in errors: `openai deployment "gpt-4o-us"`. */
  label: string;
  baseUrl: string;
  timeoutMs: number;
  /** Auth headers (never logged, never put into errors). */
  headers: Record<string, string>;
  /** Paths under baseUrl, query included, for one upstream model. */
  chatPath(model: string): string;
  embeddingsPath(model: string): string;
  /** OpenAI deprecated `max_tokens` (reasoning models reject it); vLLM and Ollama know `max_tokens`. */
  maxTokensField: 'max_completion_tokens' | 'max_tokens';
  /** vLLM's and Ollama's chat templates know no `developer` role. */
  developerAsSystem: boolean;
  /** Strings to scrub from upstream error bodies. */
  secrets: readonly string[];
}

/** Request fields the adapter sets itself, and Tollgate's mock fault hook that no upstream knows. */
const NOT_PASSED_THROUGH = new Set(['model', 'messages', 'stream', 'stream_options', 'mock']);

/**
 * OpenAI's Chat Completions and Embeddings APIs, as served by OpenAI, Azure OpenAI and any
 * OpenAI-compatible server (vLLM, Ollama). Streams always ask for the usage chunk.
 */
export class OpenAiProvider implements ChatProvider {
  readonly providerName: string;
  private readonly http: UpstreamHttp;

  constructor(private readonly dialect: OpenAiDialect) {
    this.providerName = dialect.providerName;
    this.http = new UpstreamHttp({ label: dialect.label, baseUrl: dialect.baseUrl, timeoutMs: dialect.timeoutMs, secrets: dialect.secrets });
  }

  async complete(request: ProviderChatRequest, context: ProviderCallContext): Promise<ProviderChatResponse> {
    const reply = (await this.http.postJson(this.dialect.chatPath(request.model), this.dialect.headers, this.chatBody(request, false), context.signal)) as OpenAiChatCompletion;
    const choice = reply.choices?.[0];
    if (!choice) throw new ProviderError(`${this.dialect.label} answered without a choice`, 'server_error', { upstreamBody: reply });
    const content = choice.message?.content ?? '';
    let extra = extraMessageFields(choice.message);
    // A tool-call-only answer has `content: null` in OpenAI's shape; the client gets it so.
    if (choice.message?.content === null && extra?.tool_calls !== undefined) extra = { content: null, ...extra };
    return {
      id: reply.id ?? '',
      model: reply.model ?? request.model,
      content,
      finishReason: finishReasonFromOpenAi(choice.finish_reason),
      ...this.usageOf(reply.usage, request, content),
      ...(extra ? { extraMessageFields: extra } : {}),
    };
  }

  async *stream(request: ProviderChatRequest, context: ProviderCallContext): AsyncGenerator<ProviderStreamEvent> {
    const { signal } = context;
    const body = await this.http.openStream(this.dialect.chatPath(request.model), this.dialect.headers, this.chatBody(request, true), signal);
    let id = '';
    let model = request.model;
    let finishReason: FinishReason = 'stop';
    let usage: OpenAiChatChunk['usage'];
    let done = false;
    let deltas = 0;
    let text = '';
    const events = new ServerSentEventDecoder();
    try {
      // Reading on to the end of the response (which follows [DONE] at once) keeps the connection
      // reusable: leaving the loop early would destroy the body and the socket with it.
      for await (const bytes of body) {
        for (const message of events.feed(bytes)) {
          if (done) continue;
          if (message.data === '[DONE]') {
            done = true;
            continue;
          }
          const event = parseEventJson<OpenAiChatChunk>(message.data, this.dialect.label, 'chunk');
          if (event.error !== undefined) {
            throw new ProviderError(`${this.dialect.label} reported an error mid-stream`, 'server_error', { upstreamBody: { error: event.error } });
          }
          if (event.id) id = event.id;
          if (event.model) model = event.model;
          if (event.usage) usage = event.usage;
          // Only the first choice: the gateway asks for one (n is not passed through).
          const choice = event.choices?.find((c) => (c.index ?? 0) === 0);
          if (!choice) continue;
          if (choice.finish_reason) finishReason = finishReasonFromOpenAi(choice.finish_reason);
          const content = choice.delta?.content ?? '';
          const raw = extraMessageFields(choice.delta);
          if (!content && !raw) continue;
          deltas += 1;
          text += content;
          yield raw ? { type: 'delta', content, raw } : { type: 'delta', content };
        }
      }
    } catch (error) {
      // A failure after [DONE] loses nothing: the answer is complete.
      if (!done) throw this.http.streamReadError(error, signal, deltas);
    } finally {
      // Drained (keeping the connection) when complete, aborted otherwise.
      body.release(done || usage !== undefined);
    }
    // Without [DONE] or the usage chunk we cannot tell a finished answer from a cut one.
    if (!done && !usage) throw this.http.streamCut(`the stream ended before [DONE] after ${deltas} chunk(s)`);
    yield { type: 'finish', id, model, finishReason, ...this.usageOf(usage, request, text) };
  }

  async embed(request: ProviderEmbeddingRequest, context: ProviderCallContext): Promise<ProviderEmbeddingResponse> {
    const body: Record<string, unknown> = { model: request.model, input: request.input, encoding_format: 'float' };
    if (request.dimensions !== undefined) body.dimensions = request.dimensions;
    if (request.user !== undefined) body.user = request.user;
    const reply = (await this.http.postJson(this.dialect.embeddingsPath(request.model), this.dialect.headers, body, context.signal)) as OpenAiEmbeddings;
    const data = [...(reply.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    if (data.length !== request.input.length) {
      throw new ProviderError(`${this.dialect.label} returned ${data.length} embeddings for ${request.input.length} inputs`, 'server_error');
    }
    const reported = reply.usage?.prompt_tokens;
    return {
      model: reply.model ?? request.model,
      embeddings: data.map((d) => d.embedding ?? []),
      usage: { inputTokens: typeof reported === 'number' ? reported : request.input.reduce((sum, text) => sum + roughTokenCount(text), 0) },
    };
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private chatBody(request: ProviderChatRequest, stream: boolean): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(request.extra ?? {})) if (!NOT_PASSED_THROUGH.has(field)) body[field] = value;
    body.model = request.model;
    body.messages = request.messages.map((m) => ({
      role: m.role === 'developer' && this.dialect.developerAsSystem ? 'system' : m.role,
      content: m.content,
      ...(m.name !== undefined ? { name: m.name } : {}),
      ...(m.tool_calls !== undefined ? { tool_calls: m.tool_calls } : {}),
      ...(m.tool_call_id !== undefined ? { tool_call_id: m.tool_call_id } : {}),
    }));
    if (request.maxTokens !== undefined) body[this.dialect.maxTokensField] = request.maxTokens;
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.topP !== undefined) body.top_p = request.topP;
    if (request.stop !== undefined && request.stop.length > 0) body.stop = request.stop;
    if (request.user !== undefined) body.user = request.user;
    if (stream) {
      const clientOptions = request.extra?.stream_options;
      body.stream = true;
      // Usage is always captured, whatever the client asked; the gateway decides what to pass on.
      body.stream_options = { ...(typeof clientOptions === 'object' && clientOptions !== null ? clientOptions : {}), include_usage: true };
    }
    return body;
  }

  private usageOf(usage: OpenAiChatCompletion['usage'], request: ProviderChatRequest, completion: string): { usage: ProviderUsage; usageSource: 'provider' | 'estimated'; providerCostUsd?: string } {
    if (usage) {
      const cost = providerCostFromOpenAi(usage);
      return { usage: usageFromOpenAi(usage), usageSource: 'provider', ...(cost !== undefined ? { providerCostUsd: cost } : {}) };
    }
    // Some OpenAI-compatible servers report no usage: estimate rather than record zero.
    return {
      usage: { inputTokens: roughPromptTokens(request.messages), outputTokens: roughTokenCount(completion), cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      usageSource: 'estimated',
    };
  }
}
