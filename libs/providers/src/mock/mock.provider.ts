import { createHash } from 'node:crypto';
import type { ChatProvider, ProviderChatRequest, ProviderChatResponse } from '../provider';

export interface MockProviderOptions {
  /** Added before every answer, to make the mock behave like a remote model in benchmarks. */
  latencyMs?: number;
}

/**
 * A rough, deterministic token count (four characters a token, as OpenAI's rule of thumb) so the
 * mock's usage is predictable in tests; real counting belongs to the gateway's estimator.
 */
export function mockTokenCount(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * The offline provider: answers every model it knows with a deterministic reply and usage, so
 * Tollgate runs end to end without any provider account.
 *  - `echo`: repeats the last user message.
 *  - `echo-large`: same reply, a different price, for routing and cost tests.
 */
export class MockProvider implements ChatProvider {
  readonly name = 'mock';

  constructor(private readonly options: MockProviderOptions = {}) {}

  models(): readonly string[] {
    return ['echo', 'echo-large'];
  }

  async complete(request: ProviderChatRequest, signal?: AbortSignal): Promise<ProviderChatResponse> {
    if (this.options.latencyMs) await delay(this.options.latencyMs, signal);
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
    let content = lastUser?.content ?? '';
    let finishReason: ProviderChatResponse['finishReason'] = 'stop';
    const outputLimit = request.maxTokens;
    if (outputLimit !== undefined && mockTokenCount(content) > outputLimit) {
      content = content.slice(0, outputLimit * 4);
      finishReason = 'length';
    }
    const promptText = request.messages.map((m) => `${m.role}:${m.content ?? ''}`).join('\n');
    const id = `chatcmpl-mock-${createHash('sha256').update(promptText).digest('hex').slice(0, 24)}`;
    return {
      id,
      model: request.model,
      content,
      finishReason,
      usage: {
        // Per-message framing overhead, as real chat models count it.
        inputTokens: request.messages.reduce((sum, m) => sum + 4 + mockTokenCount(m.content ?? ''), 0),
        outputTokens: mockTokenCount(content),
        cachedReadTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
      },
      usageSource: 'provider',
    };
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    });
  });
}
