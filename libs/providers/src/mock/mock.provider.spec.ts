import { deployment, drain } from '../../test/fake-upstream';
import { createProvider } from '../create-provider';
import type { DeploymentInput } from '../deployment';
import { ProviderError } from '../provider';
import type { ChatProvider, ProviderChatRequest } from '../provider';
import { roughPromptTokens } from '../token-estimate';

const mock = (settings: DeploymentInput['mock'] = {}, extra: Partial<DeploymentInput> = {}): ChatProvider =>
  createProvider(deployment({ provider: 'mock', id: 'mock-test', mock: settings, ...extra }), {});
const noAbort = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });
const ask = (content: string, extra?: Record<string, unknown>, model = 'echo'): ProviderChatRequest => ({
  model,
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content },
  ],
  ...(extra ? { extra } : {}),
});

async function rejection(call: Promise<unknown>): Promise<ProviderError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('mock provider', () => {
  describe('replies', () => {
    const provider = mock();

    it('echoes the last user message with deterministic usage', async () => {
      const request = ask('hello there');
      const first = await provider.complete(request, noAbort());
      const second = await provider.complete(request, noAbort());
      expect(first).toEqual(second);
      expect(first.content).toBe('hello there');
      expect(first.finishReason).toBe('stop');
      // 8 + 11 bytes → 5 tokens, plus 4 per message and 3 priming the reply.
      expect(first.usage).toEqual({ inputTokens: 16, outputTokens: 3, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
      expect(first.usage.inputTokens).toBe(roughPromptTokens(request.messages));
      expect(first.usageSource).toBe('provider');
      expect(first.id).toMatch(/^chatcmpl-mock-[0-9a-f]{24}$/);
    });

    it('echoes for echo-large too, and answers other models with a prefixed reply', async () => {
      expect((await provider.complete(ask('hi', undefined, 'echo-large'), noAbort())).content).toBe('hi');
      expect((await provider.complete(ask('hi', undefined, 'gpt-4o'), noAbort())).content).toBe('mock reply to: hi');
    });

    it('stops at max tokens with finish reason length', async () => {
      const reply = await provider.complete({ model: 'echo', maxTokens: 2, messages: [{ role: 'user', content: 'a'.repeat(40) }] }, noAbort());
      expect(reply).toMatchObject({ content: 'aaaaaaaa', finishReason: 'length', usage: { outputTokens: 2 } });
    });

    it('streams the same reply in word chunks, then the same usage', async () => {
      const request = ask('the quick  brown fox');
      const { events, error } = await drain(provider.stream(request, noAbort()));
      const complete = await provider.complete(request, noAbort());
      expect(error).toBeUndefined();
      expect(events.slice(0, -1)).toEqual([
        { type: 'delta', content: 'the' },
        { type: 'delta', content: ' quick' },
        { type: 'delta', content: '  brown' },
        { type: 'delta', content: ' fox' },
      ]);
      expect(events.at(-1)).toEqual({ type: 'finish', id: complete.id, model: 'echo', finishReason: 'stop', usage: complete.usage, usageSource: 'provider' });
    });

    it('ignores every other extra field: nothing is forwarded anywhere', async () => {
      const reply = await provider.complete(ask('hi', { tools: [{ type: 'function', function: { name: 'f' } }], seed: 3 }), noAbort());
      expect(reply.content).toBe('hi');
    });
  });

  describe('latency', () => {
    it('waits latencyMs before answering', async () => {
      const started = performance.now();
      await mock({ latencyMs: 120 }).complete(ask('hi'), noAbort());
      expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    });

    it('waits chunkDelayMs between streamed chunks', async () => {
      const started = performance.now();
      const { events } = await drain(mock({ chunkDelayMs: 40 }).stream(ask('one two three four'), noAbort()));
      expect(events).toHaveLength(5);
      expect(performance.now() - started).toBeGreaterThanOrEqual(3 * 40 - 5);
    });

    it('takes latency_ms from the request', async () => {
      const started = performance.now();
      await mock().complete(ask('hi', { mock: { latency_ms: 80 } }), noAbort());
      expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    });
  });

  describe('faults from the deployment', () => {
    it('fails with the configured status and Retry-After', async () => {
      const error = await rejection(mock({ failStatus: 429, retryAfterSeconds: 1.5 }).complete(ask('hi'), noAbort()));
      expect(error).toMatchObject({ errorClass: 'rate_limited', status: 429, retryable: true, options: { retryAfterMs: 1500 } });
      const server = await rejection(mock({ failStatus: 503 }).complete(ask('hi'), noAbort()));
      expect(server).toMatchObject({ errorClass: 'server_error', status: 503, options: { retryAfterMs: undefined } });
      const streamed = await drain(mock({ failStatus: 500 }).stream(ask('hi'), noAbort()));
      expect(streamed.events).toEqual([]);
      expect(streamed.error).toMatchObject({ errorClass: 'server_error', status: 500 });
    });

    it('hangs until the deployment timeout passes', async () => {
      const started = performance.now();
      const error = await rejection(mock({ hang: true }, { timeoutMs: 150 }).complete(ask('hi'), noAbort()));
      expect(error).toMatchObject({ errorClass: 'timeout', retryable: true });
      expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    });

    it('hangs until the caller aborts', async () => {
      const controller = new AbortController();
      const call = rejection(mock({ hang: true }).complete(ask('hi'), { signal: controller.signal }));
      controller.abort();
      const error = await call;
      expect(error.errorClass).toBe('timeout');
      expect(error.message).toContain('aborted by the caller');
    });

    it('cuts the stream after the configured number of chunks', async () => {
      const { events, error } = await drain(mock({ cutStreamAfterChunks: 2 }).stream(ask('one two three four'), noAbort()));
      expect(events).toEqual([
        { type: 'delta', content: 'one' },
        { type: 'delta', content: ' two' },
      ]);
      expect(error).toMatchObject({ errorClass: 'stream_cut', retryable: true });
    });

    it('applies the configured faults to embeddings too', async () => {
      const error = await rejection(mock({ failStatus: 500 }).embed?.({ model: 'embed', input: ['x'] }, noAbort()) ?? Promise.resolve());
      expect(error.errorClass).toBe('server_error');
    });
  });

  describe('faults from request.extra.mock', () => {
    const provider = mock();

    it('fails one call with fail_status and retry_after_seconds, leaving the next one alone', async () => {
      const error = await rejection(provider.complete(ask('hi', { mock: { fail_status: 429, retry_after_seconds: 1 } }), noAbort()));
      expect(error).toMatchObject({ errorClass: 'rate_limited', status: 429, options: { retryAfterMs: 1000 } });
      expect(error.options.upstreamBody).toMatchObject({ error: { message: 'injected fault: HTTP 429' } });
      await expect(provider.complete(ask('hi'), noAbort())).resolves.toMatchObject({ content: 'hi' });
    });

    it('hangs one call until its signal aborts', async () => {
      const controller = new AbortController();
      const call = drain(provider.stream(ask('hi', { mock: { hang: true } }), { signal: controller.signal }));
      controller.abort();
      const { events, error } = await call;
      expect(events).toEqual([]);
      expect(error).toMatchObject({ errorClass: 'timeout' });
    });

    it('cuts one stream after cut_stream_after_chunks', async () => {
      const { events, error } = await drain(provider.stream(ask('one two three', { mock: { cut_stream_after_chunks: 1 } }), noAbort()));
      expect(events).toEqual([{ type: 'delta', content: 'one' }]);
      expect(error).toMatchObject({ errorClass: 'stream_cut' });
    });

    it('overrides the deployment’s settings', async () => {
      await expect(mock({ failStatus: 500 }).complete(ask('hi', { mock: { fail_status: 400 } }), noAbort())).rejects.toMatchObject({ errorClass: 'client_error', status: 400 });
    });

    it('rejects malformed mock settings as a client error', async () => {
      const error = await rejection(provider.complete(ask('hi', { mock: { fail_status: 'soon', bogus: 1 } }), noAbort()));
      expect(error).toMatchObject({ errorClass: 'client_error', status: 400 });
      expect(error.message).toContain('fail_status');
    });
  });

  describe('tool calls (request.extra.mock.tool_call)', () => {
    const provider = mock();
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];

    it('answers with the asked tool call, deterministically, content null and finish tool_calls', async () => {
      const request = ask('Weather in Paris?', { tools, mock: { tool_call: { arguments: { city: 'Paris' } } } });
      const first = await provider.complete(request, noAbort());
      expect(first).toMatchObject({ content: '', finishReason: 'tool_calls' });
      expect(first.extraMessageFields).toEqual({
        content: null,
        tool_calls: [{ id: expect.stringMatching(/^call_mock_[0-9a-f]{24}$/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      });
      expect(await provider.complete(request, noAbort())).toEqual(first);
      expect(first.usage.outputTokens).toBeGreaterThan(0);
    });

    it('takes an explicit name, id and raw arguments string; `true` calls the first tool with {}', async () => {
      const named = await provider.complete(ask('x', { mock: { tool_call: { name: 'lookup', id: 'call_1', arguments: '{"q":1}' } } }), noAbort());
      expect(named.extraMessageFields?.tool_calls).toEqual([{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }]);
      const first = await provider.complete(ask('x', { tools, mock: { tool_call: true } }), noAbort());
      expect(first.extraMessageFields?.tool_calls).toEqual([expect.objectContaining({ function: { name: 'get_weather', arguments: '{}' } })]);
    });

    it('rejects a tool call with no tool to call as a client error', async () => {
      const error = await rejection(provider.complete(ask('x', { mock: { tool_call: true } }), noAbort()));
      expect(error).toMatchObject({ errorClass: 'client_error', status: 400 });
    });

    it('streams the tool call as OpenAI does: id and name first, then argument fragments, then finish tool_calls', async () => {
      const request = ask('Weather in Paris?', { tools, mock: { tool_call: { arguments: { city: 'Paris', unit: 'celsius' } } } });
      const { events, error } = await drain(provider.stream(request, noAbort()));
      const complete = await provider.complete(request, noAbort());
      const call = (complete.extraMessageFields?.tool_calls as Array<{ id: string }>)[0];
      expect(error).toBeUndefined();
      expect(events[0]).toEqual({ type: 'delta', content: '', raw: { tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: 'get_weather', arguments: '' } }] } });
      const fragments = events.slice(1, -1).map((e) => (e.type === 'delta' ? (e.raw?.tool_calls as Array<{ index: number; function: { arguments: string } }>)[0] : undefined));
      expect(fragments.every((f) => f?.index === 0)).toBe(true);
      expect(fragments.map((f) => f?.function.arguments).join('')).toBe('{"city":"Paris","unit":"celsius"}');
      expect(events.at(-1)).toEqual({ type: 'finish', id: complete.id, model: 'echo', finishReason: 'tool_calls', usage: complete.usage, usageSource: 'provider' });
    });

    it('answers the tool result when the conversation ends with one', async () => {
      const reply = await provider.complete(
        {
          model: 'echo',
          messages: [
            { role: 'user', content: 'Weather in Paris?' },
            { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
            { role: 'tool', tool_call_id: 'call_1', content: '18 C and cloudy' },
          ],
        },
        noAbort(),
      );
      expect(reply).toMatchObject({ content: 'tool result 18 C and cloudy', finishReason: 'stop' });
      expect(reply.extraMessageFields).toBeUndefined();
    });
  });

  describe('embeddings', () => {
    const provider = mock();

    it('returns deterministic unit vectors, 64 dimensions unless asked otherwise', async () => {
      const reply = await provider.embed?.({ model: 'mock-embed', input: ['hello', 'world', 'hello'] }, noAbort());
      expect(reply?.embeddings).toHaveLength(3);
      const [hello, world, again] = reply?.embeddings ?? [];
      expect(hello).toHaveLength(64);
      expect(again).toEqual(hello);
      expect(world).not.toEqual(hello);
      expect(Math.hypot(...hello)).toBeCloseTo(1, 10);
      expect(reply?.usage).toEqual({ inputTokens: 2 + 2 + 2 });
      const small = await provider.embed?.({ model: 'mock-embed', input: ['hello'], dimensions: 12 }, noAbort());
      expect(small?.embeddings[0]).toHaveLength(12);
      expect(Math.hypot(...(small?.embeddings[0] ?? []))).toBeCloseTo(1, 10);
    });
  });
});
