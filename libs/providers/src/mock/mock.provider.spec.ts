import { MockProvider, mockTokenCount } from '../index';

describe('MockProvider', () => {
  const provider = new MockProvider();

  it('echoes the last user message with deterministic usage', async () => {
    const request = { model: 'echo', messages: [{ role: 'system' as const, content: 'be brief' }, { role: 'user' as const, content: 'hello there' }] };
    const first = await provider.complete(request);
    const second = await provider.complete(request);
    expect(first.content).toBe('hello there');
    expect(first.usage).toEqual({ inputTokens: 4 + 2 + 4 + 3, outputTokens: 3, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    expect(second).toEqual(first);
  });

  it('stops at max tokens with finish reason length', async () => {
    const reply = await provider.complete({ model: 'echo', maxTokens: 2, messages: [{ role: 'user', content: 'a'.repeat(40) }] });
    expect(reply.finishReason).toBe('length');
    expect(mockTokenCount(reply.content)).toBe(2);
  });
});
