import { createHash } from 'node:crypto';
import type { Deployment } from '../deployment';
import { providerErrorForStatus } from '../http/upstream-errors';
import { ProviderError } from '../provider';
import type {
  ChatProvider,
  ChatToolCall,
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
import { behaviourFor, configuredBehaviour } from './mock-behaviour';
import type { MockBehaviour, MockToolCall } from './mock-behaviour';

export const MOCK_EMBEDDING_DIMENSIONS = 64;

/** Models that repeat the last user message; any other model answers `mock reply to: <message>`. */
const ECHO_MODELS = new Set(['echo', 'echo-large']);

interface MockReply {
  id: string;
  content: string;
  finishReason: FinishReason;
  usage: ProviderUsage;
  toolCalls?: ChatToolCall[];
}

/** The argument fragments a streamed mock tool call arrives in: 8 characters each. */
const TOOL_ARGUMENT_FRAGMENTS = /[\s\S]{1,8}/g;

/**
 * The offline provider: deterministic replies and usage, so Tollgate runs end to end without any
 * provider account, and injected faults (from the deployment's `mock` settings or the request's
 * `extra.mock`) so recovery can be tested. It honours the deployment's timeoutMs like the real
 * adapters do. It never forwards `extra` anywhere.
 *
 * Tokens are counted as UTF-8 bytes / 4 (roughTokenCount): deterministic, and ~0.002 ms where a
 * real tokenizer costs ~1 ms per 1k tokens, which would show in the gateway's benchmarks.
 */
export class MockProvider implements ChatProvider {
  readonly providerName = 'mock';
  private readonly configured: MockBehaviour;
  private readonly label: string;

  constructor(private readonly deployment: Deployment) {
    this.configured = configuredBehaviour(deployment);
    this.label = `mock deployment "${deployment.id}"`;
  }

  async complete(request: ProviderChatRequest, context: ProviderCallContext): Promise<ProviderChatResponse> {
    const behaviour = behaviourFor(this.configured, this.label, request);
    await this.beforeAnswer(behaviour, context.signal);
    const { toolCalls, ...reply } = this.reply(request, behaviour);
    return {
      ...reply,
      model: request.model,
      usageSource: 'provider',
      ...(toolCalls ? { extraMessageFields: { content: null, tool_calls: toolCalls } } : {}),
    };
  }

  async *stream(request: ProviderChatRequest, context: ProviderCallContext): AsyncGenerator<ProviderStreamEvent> {
    const behaviour = behaviourFor(this.configured, this.label, request);
    await this.beforeAnswer(behaviour, context.signal);
    const reply = this.reply(request, behaviour);
    // Word chunks, each carrying its leading whitespace, so the chunks join back to the reply; a
    // tool call as OpenAI streams one: id and name first, then the arguments in fragments.
    const chunks: ProviderStreamEvent[] = (reply.content.match(/\s*\S+/g) ?? []).map((content) => ({ type: 'delta', content }));
    for (const [index, call] of (reply.toolCalls ?? []).entries()) {
      chunks.push({ type: 'delta', content: '', raw: { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] } });
      for (const fragment of call.function.arguments.match(TOOL_ARGUMENT_FRAGMENTS) ?? []) {
        chunks.push({ type: 'delta', content: '', raw: { tool_calls: [{ index, function: { arguments: fragment } }] } });
      }
    }
    const cutAfter = behaviour.cutStreamAfterChunks;
    for (const [index, chunk] of chunks.entries()) {
      if (cutAfter !== undefined && index >= cutAfter) break;
      if (index > 0) await this.pause(behaviour.chunkDelayMs, context.signal);
      yield chunk;
    }
    if (cutAfter !== undefined) {
      throw new ProviderError(`${this.label}: the stream was cut after ${Math.min(cutAfter, chunks.length)} chunk(s) (injected fault)`, 'stream_cut');
    }
    yield { type: 'finish', id: reply.id, model: request.model, finishReason: reply.finishReason, usage: reply.usage, usageSource: 'provider' };
  }

  async embed(request: ProviderEmbeddingRequest, context: ProviderCallContext): Promise<ProviderEmbeddingResponse> {
    await this.beforeAnswer(this.configured, context.signal);
    const dimensions = request.dimensions ?? MOCK_EMBEDDING_DIMENSIONS;
    return {
      model: request.model,
      embeddings: request.input.map((text) => mockEmbedding(text, dimensions)),
      usage: { inputTokens: request.input.reduce((sum, text) => sum + roughTokenCount(text), 0) },
    };
  }

  /** Latency, then the injected hang or failure, as a remote upstream would show them. */
  private async beforeAnswer(behaviour: MockBehaviour, signal: AbortSignal): Promise<void> {
    if (behaviour.hang) await this.pause(Number.POSITIVE_INFINITY, signal);
    await this.pause(behaviour.latencyMs, signal);
    if (behaviour.failStatus !== undefined) {
      const status = behaviour.failStatus;
      throw providerErrorForStatus(this.label, status, {
        retryAfterMs: behaviour.retryAfterSeconds !== undefined ? Math.round(behaviour.retryAfterSeconds * 1000) : undefined,
        upstreamBody: { error: { message: `injected fault: HTTP ${status}`, type: 'mock_fault', param: null, code: null } },
      });
    }
  }

  /**
   * Waits `ms`, as an upstream would: the caller's abort ends the wait, and a wait longer than
   * the deployment's timeoutMs fails as a timeout when that deadline passes.
   */
  private pause(ms: number, signal: AbortSignal): Promise<void> {
    const { timeoutMs } = this.deployment;
    if (signal.aborted) return Promise.reject(this.aborted(signal));
    // No timer on the hot path when there is nothing to wait for.
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timedOut = ms > timeoutMs;
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(this.aborted(signal));
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        if (timedOut) reject(new ProviderError(`${this.label} did not answer within ${timeoutMs} ms`, 'timeout'));
        else resolve();
      }, Math.min(ms, timeoutMs));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private aborted(signal: AbortSignal): ProviderError {
    return new ProviderError(`${this.label}: the call was aborted by the caller`, 'timeout', { cause: signal.reason });
  }

  /**
   * The answer: the tool call `mock.tool_call` asks for, else text about the last user message,
   * or about the last tool result when the conversation ends with one (the second turn of a tool
   * round trip).
   */
  private reply(request: ProviderChatRequest, behaviour: MockBehaviour): MockReply {
    const prompt = request.messages.map((m) => `${m.role}:${m.content ?? ''}`).join('\n');
    const id = `chatcmpl-mock-${createHash('sha256').update(prompt).digest('hex').slice(0, 24)}`;
    const inputTokens = roughPromptTokens(request.messages);
    if (behaviour.toolCall) {
      const call = this.toolCall(behaviour.toolCall, request, prompt);
      return {
        id,
        content: '',
        finishReason: 'tool_calls',
        toolCalls: [call],
        usage: { inputTokens, outputTokens: roughTokenCount(call.function.name + call.function.arguments), cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      };
    }
    const last = request.messages.findLast((m) => m.role === 'user' || m.role === 'tool');
    const lastText = last?.content ?? '';
    const subject = last?.role === 'tool' ? `tool result ${lastText}` : lastText;
    let content = ECHO_MODELS.has(request.model) ? subject : `mock reply to: ${subject}`;
    let finishReason: FinishReason = 'stop';
    if (request.maxTokens !== undefined && roughTokenCount(content) > request.maxTokens) {
      content = truncateToBytes(content, request.maxTokens * 4);
      finishReason = 'length';
    }
    return {
      id,
      content,
      finishReason,
      usage: { inputTokens, outputTokens: roughTokenCount(content), cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    };
  }

  /** The requested tool call; the name defaults to the request's first function tool, the id is derived from the prompt. */
  private toolCall(asked: MockToolCall, request: ProviderChatRequest, prompt: string): ChatToolCall {
    const tools = Array.isArray(request.extra?.tools) ? (request.extra.tools as Array<{ function?: { name?: unknown } }>) : [];
    const name = asked.name ?? tools.map((t) => t?.function?.name).find((n): n is string => typeof n === 'string');
    if (name === undefined) {
      const message = 'mock.tool_call needs a tool: give mock.tool_call.name or send at least one function tool in tools';
      throw new ProviderError(`${this.label} rejected the request: ${message}`, 'client_error', {
        status: 400,
        upstreamBody: { error: { message, type: 'invalid_request_error', param: 'mock.tool_call', code: null } },
      });
    }
    const args = typeof asked.arguments === 'string' ? asked.arguments : JSON.stringify(asked.arguments ?? {});
    const id = asked.id ?? `call_mock_${createHash('sha256').update(`${prompt}\n${name}\n${args}`).digest('hex').slice(0, 24)}`;
    return { id, type: 'function', function: { name, arguments: args } };
  }
}

/** The longest prefix of whole characters within `maxBytes` of UTF-8. */
function truncateToBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char, 'utf8');
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

/** A deterministic unit vector from SHA-256 of the text (counter mode for more than 8 dimensions). */
export function mockEmbedding(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let offset = 0; offset + 4 <= digest.length && values.length < dimensions; offset += 4) values.push(digest.readInt32BE(offset) / 2 ** 31);
  }
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) || 1;
  return values.map((v) => v / norm);
}
