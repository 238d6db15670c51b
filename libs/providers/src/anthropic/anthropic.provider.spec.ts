import { deployment, drain, FakeUpstream, fixture, json, sse } from '../../test/fake-upstream';
import { createProvider } from '../create-provider';
import type { ChatProvider, ProviderChatRequest, ProviderStreamEvent } from '../provider';

const KEY = 'sk-ant-test-0123456789abcdef';
const env = { ANTHROPIC_TEST_KEY: KEY };
const read = (name: string): string => fixture(__dirname, name);
const noAbort = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });

const request: ProviderChatRequest = {
  model: 'claude-sonnet-4-5',
  messages: [
    { role: 'system', content: 'You are a geography tutor.' },
    { role: 'user', content: 'What is the capital of France?' },
  ],
  maxTokens: 1024,
  user: 'end-user-7',
};

/** An OpenAI-shaped second turn: the model's two parallel tool calls, then both results. */
const toolRoundTrip: ProviderChatRequest = {
  model: 'claude-sonnet-4-5',
  messages: [
    { role: 'system', content: 'You are a weather assistant.' },
    { role: 'user', content: 'What is the weather in Paris and in Lyon?' },
    {
      role: 'assistant',
      content: "I'll look both up.",
      tool_calls: [
        { id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } },
        { id: 'toolu_01B7xKq2Fj4kLmN8pQrS3tUv', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Lyon", "unit": "celsius"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'toolu_01A09q90qw90lq917835lq9', content: '{"temperature": 18, "conditions": "cloudy"}' },
    { role: 'tool', tool_call_id: 'toolu_01B7xKq2Fj4kLmN8pQrS3tUv', content: '{"temperature": 21, "conditions": "sunny"}' },
  ],
  maxTokens: 1024,
  extra: {
    tools: [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Get the current weather in a given city',
          parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
        },
      },
    ],
    tool_choice: 'auto',
    parallel_tool_calls: true,
  },
};

const deltaText = (events: ProviderStreamEvent[]): string => events.flatMap((e) => (e.type === 'delta' ? [e.content] : [])).join('');

describe('Anthropic adapter', () => {
  let upstream: FakeUpstream;
  let provider: ChatProvider;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    provider = createProvider(deployment({ provider: 'anthropic', baseUrl: upstream.url, apiKeyEnv: 'ANTHROPIC_TEST_KEY', model: 'claude-sonnet-4-5' }), env);
  });
  afterAll(async () => {
    await provider.close?.();
    await upstream.close();
  });

  it('posts a Messages request with x-api-key and anthropic-version', async () => {
    upstream.answer(json(200, read('message.json')));
    await provider.complete(request, noAbort());
    const sent = upstream.lastRequest;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe(KEY);
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      system: 'You are a geography tutor.',
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
      metadata: { user_id: 'end-user-7' },
    });
  });

  it('answers in chat shape with usage normalised to OpenAI’s convention (cache reads and writes in input)', async () => {
    upstream.answer(json(200, read('message.json')));
    const reply = await provider.complete(request, noAbort());
    expect(reply).toEqual({
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      model: 'claude-sonnet-4-5-20250929',
      content: 'Paris is the capital of France.',
      finishReason: 'stop',
      // 21 uncached + 1800 read from cache + 188 written to cache.
      usage: { inputTokens: 2009, outputTokens: 12, cachedReadTokens: 1800, cacheWriteTokens: 188, reasoningTokens: 0 },
      usageSource: 'provider',
    });
  });

  it('turns tool_use blocks into OpenAI tool_calls', async () => {
    upstream.answer(json(200, read('message-tool-use.json')));
    const reply = await provider.complete(request, noAbort());
    expect(reply.finishReason).toBe('tool_calls');
    expect(reply.content).toBe("I'll check the current weather in Paris.");
    expect(reply.extraMessageFields).toEqual({
      tool_calls: [{ id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } }],
    });
  });

  it('sends a tool round trip as tool_use and tool_result blocks (recorded request shape)', async () => {
    upstream.answer(json(200, read('message.json')));
    await provider.complete(toolRoundTrip, noAbort());
    expect(upstream.lastRequest.body).toEqual(JSON.parse(read('messages-request-tool-result.json')));
  });

  it('answers a tool-use-only message with content null and every tool call, in order', async () => {
    upstream.answer(json(200, read('message-tool-use-only.json')));
    const reply = await provider.complete(toolRoundTrip, noAbort());
    expect(reply.finishReason).toBe('tool_calls');
    expect(reply.extraMessageFields).toEqual({
      content: null,
      tool_calls: [
        { id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } },
        { id: 'toolu_01B7xKq2Fj4kLmN8pQrS3tUv', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon","unit":"celsius"}' } },
      ],
    });
    expect(reply.usage).toMatchObject({ inputTokens: 512, outputTokens: 121 });
  });

  it('streams text deltas and finishes with usage from message_start and message_delta', async () => {
    upstream.answer(sse(read('message-stream.sse')));
    const { events, error } = await drain(provider.stream(request, noAbort()));
    expect(error).toBeUndefined();
    expect(upstream.lastRequest.body).toMatchObject({ stream: true, max_tokens: 1024 });
    expect(upstream.lastRequest.headers.accept).toBe('text/event-stream');
    expect(events.slice(0, -1)).toEqual([
      { type: 'delta', content: 'Paris is' },
      { type: 'delta', content: ' the capital' },
      { type: 'delta', content: ' of France.' },
    ]);
    expect(events.at(-1)).toEqual({
      type: 'finish',
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      model: 'claude-sonnet-4-5-20250929',
      finishReason: 'stop',
      usage: { inputTokens: 2009, outputTokens: 12, cachedReadTokens: 1800, cacheWriteTokens: 188, reasoningTokens: 0 },
      usageSource: 'provider',
    });
  });

  it('streams tool_use blocks as OpenAI tool_calls deltas', async () => {
    upstream.answer(sse(read('message-stream-tool-use.sse')));
    const { events, error } = await drain(provider.stream(request, noAbort()));
    expect(error).toBeUndefined();
    expect(deltaText(events)).toBe('Let me check the weather.');
    const raws = events.flatMap((e) => (e.type === 'delta' && e.raw ? [e.raw] : []));
    expect(raws).toEqual([
      { tool_calls: [{ index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city": "Par' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'is"}' } }] },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool_calls', usage: { inputTokens: 472, outputTokens: 89 } });
  });

  it('turns an overloaded_error event mid-stream into a retryable server_error after the deltas', async () => {
    upstream.answer(sse(read('message-stream-overloaded.sse')));
    const { events, error } = await drain(provider.stream(request, noAbort()));
    expect(events).toEqual([{ type: 'delta', content: 'Once upon' }]);
    expect(error).toMatchObject({ errorClass: 'server_error', status: 529, retryable: true });
  });

  it('yields what arrived, then stream_cut, when the socket dies before message_stop', async () => {
    upstream.answer(sse(read('message-stream.sse'), { cutAfterEvents: 5, cut: 'destroy' }));
    const { events, error } = await drain(provider.stream(request, noAbort()));
    expect(deltaText(events)).toBe('Paris is the capital');
    expect(error).toMatchObject({ errorClass: 'stream_cut' });
  });

  it('treats a stream that ends cleanly before message_stop as cut', async () => {
    upstream.answer(sse(read('message-stream.sse'), { cutAfterEvents: 8, cut: 'end' }));
    const { events, error } = await drain(provider.stream(request, noAbort()));
    expect(deltaText(events)).toBe('Paris is the capital of France.');
    expect(events.every((e) => e.type === 'delta')).toBe(true);
    expect(error).toMatchObject({ errorClass: 'stream_cut' });
  });

  it('classifies Anthropic error responses: 429 with retry-after, 529 overloaded, 400 with its body kept', async () => {
    upstream.answer(json(429, read('error-429-rate-limit.json'), { 'retry-after': '7' }));
    await expect(provider.complete(request, noAbort())).rejects.toMatchObject({ errorClass: 'rate_limited', status: 429, options: { retryAfterMs: 7000 } });
    upstream.answer(json(529, read('error-529-overloaded.json')));
    await expect(provider.complete(request, noAbort())).rejects.toMatchObject({ errorClass: 'server_error', status: 529, retryable: true });
    upstream.answer(json(400, read('error-400-invalid-request.json')));
    await expect(provider.complete(request, noAbort())).rejects.toMatchObject({
      errorClass: 'client_error',
      status: 400,
      options: { upstreamBody: JSON.parse(read('error-400-invalid-request.json')) as unknown },
    });
  });

  it('offers no embeddings', () => {
    expect(provider.embed).toBeUndefined();
    expect(provider.providerName).toBe('anthropic');
  });
});
