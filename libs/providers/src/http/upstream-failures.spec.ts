import { closedPortUrl, deployment, drain, FakeUpstream, fixture, json, silence, sse } from '../../test/fake-upstream';
import { createProvider } from '../create-provider';
import { ProviderError } from '../provider';
import type { ChatProvider, ProviderChatRequest } from '../provider';
import { parseRetryAfter } from './retry-after';

const KEY = 'sk-test-failures-9f8e7d6c5b4a';
const env = { OPENAI_TEST_KEY: KEY };
const openAiFixture = (name: string): string => fixture(`${__dirname}/../openai`, name);
const request: ProviderChatRequest = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
const noAbort = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });

async function failure(call: Promise<unknown>): Promise<ProviderError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-10T12:00:00Z');

  it('reads retry-after-ms before Retry-After', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '1500', 'retry-after': '9' }, now)).toBe(1500);
  });

  it('reads delta-seconds, fractional included', () => {
    expect(parseRetryAfter({ 'retry-after': '20' }, now)).toBe(20_000);
    expect(parseRetryAfter({ 'retry-after': '0.5' }, now)).toBe(500);
  });

  it('reads an HTTP-date as the time left until then, never negative', () => {
    expect(parseRetryAfter({ 'retry-after': 'Tue, 10 Nov 2026 12:00:30 GMT' }, now)).toBe(30_000);
    expect(parseRetryAfter({ 'retry-after': 'Tue, 10 Nov 2026 11:59:00 GMT' }, now)).toBe(0);
  });

  it('returns undefined when the header is absent or unreadable', () => {
    expect(parseRetryAfter({}, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
  });
});

describe('upstream failures', () => {
  let upstream: FakeUpstream;
  let provider: ChatProvider;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    provider = createProvider(deployment({ provider: 'openai', baseUrl: `${upstream.url}/v1`, apiKeyEnv: 'OPENAI_TEST_KEY', timeoutMs: 300 }), env);
  });
  afterAll(async () => {
    await provider.close?.();
    await upstream.close();
  });

  it('keeps connections alive across calls, streams included', async () => {
    const before = upstream.requests.length;
    upstream.answer(json(200, openAiFixture('chat-completion.json')));
    for (let i = 0; i < 3; i++) await provider.complete(request, noAbort());
    upstream.answer(sse(openAiFixture('chat-completion-stream.sse'), { endAfterMs: 20 }));
    for (let i = 0; i < 3; i++) await drain(provider.stream(request, noAbort()));
    // undici's pool may open a second socket while the first is being released; never one per call.
    const ports = new Set(upstream.requests.slice(before).map((r) => r.remotePort));
    expect(ports.size).toBeLessThanOrEqual(2);
  });

  it('classifies 429 as rate_limited with Retry-After seconds', async () => {
    upstream.answer(json(429, openAiFixture('error-429-rate-limit.json'), { 'retry-after': '2' }));
    const error = await failure(provider.complete(request, noAbort()));
    expect(error).toMatchObject({ errorClass: 'rate_limited', status: 429, retryable: true, options: { retryAfterMs: 2000 } });
    expect(error.message).toContain('Rate limit reached for gpt-4o');
  });

  it('reads a Retry-After HTTP-date on 429', async () => {
    // HTTP-dates have whole seconds: the wait left is within the last second before 30 s.
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 30_000);
    upstream.answer(json(429, openAiFixture('error-429-rate-limit.json'), { 'retry-after': at.toUTCString() }));
    const error = await failure(provider.complete(request, noAbort()));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.options.retryAfterMs).toBeGreaterThan(25_000);
    expect(error.options.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('prefers retry-after-ms, as OpenAI sends it', async () => {
    upstream.answer(json(429, openAiFixture('error-429-rate-limit.json'), { 'retry-after-ms': '2400', 'retry-after': '3' }));
    const error = await failure(drain(provider.stream(request, noAbort())).then(({ error: e }) => Promise.reject(e)));
    expect(error).toMatchObject({ errorClass: 'rate_limited', options: { retryAfterMs: 2400 } });
  });

  it('classifies 500 as a retryable server_error', async () => {
    upstream.answer(json(500, openAiFixture('error-500.json')));
    const error = await failure(provider.complete(request, noAbort()));
    expect(error).toMatchObject({ errorClass: 'server_error', status: 500, retryable: true });
  });

  it('classifies other 4xx as client_error and keeps the upstream body', async () => {
    upstream.answer(json(400, openAiFixture('error-400-invalid-request.json')));
    const error = await failure(provider.complete(request, noAbort()));
    expect(error).toMatchObject({ errorClass: 'client_error', status: 400, retryable: false });
    expect(error.options.upstreamBody).toEqual(JSON.parse(openAiFixture('error-400-invalid-request.json')));
  });

  it('never keeps the API key, even when the upstream echoes it back', async () => {
    upstream.answer(json(401, { error: { message: `Incorrect API key provided: ${KEY}.`, type: 'invalid_request_error', code: 'invalid_api_key' } }));
    const error = await failure(provider.complete(request, noAbort()));
    expect(JSON.stringify(error.options.upstreamBody)).not.toContain(KEY);
    expect(error.message).not.toContain(KEY);
    expect(error.message).toContain('[redacted]');
  });

  it('classifies a 200 whose body is not JSON as server_error', async () => {
    upstream.answer(json(200, '<html>gateway timeout</html>'));
    const error = await failure(provider.complete(request, noAbort()));
    expect(error).toMatchObject({ errorClass: 'server_error', status: 200 });
    expect(error.message).toContain('answered with a body that is not JSON');
  });

  it('reads a JSON answer that arrives in several chunks', async () => {
    const text = openAiFixture('chat-completion.json');
    upstream.answer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(text.slice(0, 10));
      setImmediate(() => response.write(text.slice(10, 40), () => response.end(text.slice(40))));
    });
    const reply = await provider.complete(request, noAbort());
    expect(reply.content).toBe((JSON.parse(text) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content);
  });

  it('classifies a connection that dies mid-answer as connection', async () => {
    upstream.answer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      response.write('{"id":"chatcmpl-cut",', () => response.socket?.destroy());
    });
    const error = await failure(provider.complete(request, noAbort()));
    expect(error).toMatchObject({ errorClass: 'connection', retryable: true });
  });

  it('times out after the deployment’s timeoutMs', async () => {
    upstream.answer(silence);
    const started = Date.now();
    const error = await failure(provider.complete(request, noAbort()));
    expect(error).toMatchObject({ errorClass: 'timeout', retryable: true });
    expect(error.message).toContain('did not answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out a stream whose first byte never comes', async () => {
    upstream.answer(silence);
    const { events, error } = await drain(provider.stream(request, noAbort()));
    expect(events).toEqual([]);
    expect(error).toMatchObject({ errorClass: 'timeout' });
  });

  it('does not call the upstream for a caller that already gave up', async () => {
    const before = upstream.requests.length;
    const controller = new AbortController();
    controller.abort();
    const error = await failure(provider.complete(request, { signal: controller.signal }));
    expect(error.errorClass).toBe('timeout');
    expect(error.message).toContain('aborted by the caller');
    expect(upstream.requests.length).toBe(before);
  });

  it('stops when the caller aborts, as a timeout', async () => {
    upstream.answer(silence);
    const controller = new AbortController();
    const call = failure(provider.complete(request, { signal: controller.signal }));
    controller.abort();
    const error = await call;
    expect(error.errorClass).toBe('timeout');
    expect(error.message).toContain('aborted by the caller');
  });

  it('stops a stream when the caller aborts mid-way, as a timeout', async () => {
    upstream.answer(sse(openAiFixture('chat-completion-stream.sse'), { cutAfterEvents: 3, cut: 'hold' }));
    const controller = new AbortController();
    const iterator = provider.stream(request, { signal: controller.signal })[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: { type: 'delta', content: 'The' } });
    expect(await iterator.next()).toEqual({ done: false, value: { type: 'delta', content: ' capital' } });
    controller.abort();
    await expect(iterator.next()).rejects.toMatchObject({ errorClass: 'timeout', message: expect.stringContaining('aborted by the caller') as unknown });
  });

  it('times out a stream that goes silent mid-way for longer than timeoutMs', async () => {
    upstream.answer(sse(openAiFixture('chat-completion-stream.sse'), { cutAfterEvents: 3, cut: 'hold' }));
    const { events, error } = await drain(provider.stream(request, noAbort()));
    expect(events).toHaveLength(2);
    expect(error).toMatchObject({ errorClass: 'timeout', message: expect.stringContaining('went silent') as unknown });
  });

  it('classifies a refused connection as connection', async () => {
    const unreachable = createProvider(deployment({ provider: 'openai', baseUrl: await closedPortUrl(), apiKeyEnv: 'OPENAI_TEST_KEY' }), env);
    try {
      const error = await failure(unreachable.complete(request, noAbort()));
      expect(error).toMatchObject({ errorClass: 'connection', retryable: true });
      expect(error.message).toContain('ECONNREFUSED');
    } finally {
      await unreachable.close?.();
    }
  });

  it('yields the deltas that arrived, then stream_cut, when the socket dies mid-stream', async () => {
    upstream.answer(sse(openAiFixture('chat-completion-stream.sse'), { cutAfterEvents: 4, cut: 'destroy' }));
    const { events, error } = await drain(provider.stream(request, noAbort()));
    expect(events).toEqual([
      { type: 'delta', content: 'The' },
      { type: 'delta', content: ' capital' },
      { type: 'delta', content: ' of' },
    ]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ errorClass: 'stream_cut', retryable: true });
  });

  it('treats a stream that ends without [DONE] or usage as cut', async () => {
    upstream.answer(sse(openAiFixture('chat-completion-stream.sse'), { cutAfterEvents: 9, cut: 'end' }));
    const { events, error } = await drain(provider.stream(request, noAbort()));
    expect(events.map((e) => e.type)).toEqual(Array(7).fill('delta'));
    expect(error).toMatchObject({ errorClass: 'stream_cut' });
    expect((error as Error).message).toContain('ended before [DONE]');
  });

  it('finishes a stream whose usage chunk arrived even if [DONE] did not', async () => {
    upstream.answer(sse(openAiFixture('chat-completion-stream.sse'), { cutAfterEvents: 10, cut: 'end' }));
    const { events, error } = await drain(provider.stream(request, noAbort()));
    expect(error).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ type: 'finish', usage: { inputTokens: 2006 } });
  });
});
