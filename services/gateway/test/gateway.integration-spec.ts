import { Controller } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import OpenAI from 'openai';
import { LlmCallV1 } from '@tollgate/contracts';
import type { LlmCallV1 as LlmCall } from '@tollgate/contracts';
import { ConsumeEvent } from '@tollgate/messaging';
import { ApiKeyDirectory } from '@tollgate/platform';
import { expectEventually, tenantWithKey } from '@tollgate/testing';
import { startGatewayTestApp } from './support/gateway-test-app';

const recorded: LlmCall[] = [];

@Controller()
class LlmCallProbe {
  @ConsumeEvent(LlmCallV1, { group: 'test-probe' })
  onCall(event: LlmCall): void {
    recorded.push(event);
  }
}

const DEPLOYMENTS = [
  { id: 'echo-us', provider: 'mock', publicModel: 'mock/echo', model: 'echo', region: 'us' },
  { id: 'echo-eu-down', provider: 'mock', publicModel: 'mock/echo', model: 'echo', region: 'eu', mock: { failStatus: 503 } },
  { id: 'echo-global', provider: 'mock', publicModel: 'mock/echo', model: 'echo', region: 'global' },
  { id: 'embed-global', provider: 'mock', publicModel: 'mock/embed', model: 'embed', region: 'global', supportsEmbeddings: true },
];

describe('gateway over real HTTP with the official openai client', () => {
  let app: INestApplication;
  let baseURL: string;
  const acme = tenantWithKey('ten_acme', { region: 'us' }); // us keys may use us and global deployments, not the failing eu one
  const euCo = tenantWithKey('ten_eu', { region: 'eu' });
  const client = () => new OpenAI({ apiKey: acme.key, baseURL, maxRetries: 0 });
  const callEvent = (callId: string | null) => expectEventually(() => {
    const event = recorded.find((e) => e.callId === callId);
    if (!event) throw new Error(`no llm.call for ${callId}`);
    return event;
  });

  beforeAll(async () => {
    const started = await startGatewayTestApp({ TOLLGATE_DEPLOYMENTS: JSON.stringify(DEPLOYMENTS), TOLLGATE_RETRY_BASE_MS: '1', TOLLGATE_RETRY_MAX_MS: '5' }, [LlmCallProbe]);
    ({ app, baseURL } = started);
    await started.addTenants(acme, euCo);
    expect(app.get(ApiKeyDirectory).resolve(euCo.key)?.region).toBe('eu');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('answers a completion and records the call with its route and attempts', async () => {
    const { data, response } = await client().chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'plain call' }] }).withResponse();
    expect(data.choices[0].message.content).toBe('plain call');
    const event = await callEvent(response.headers.get('x-tollgate-call-id'));
    expect(event).toMatchObject({ outcome: 'ok', stream: false, usage: { source: 'provider' } });
    expect(event.route?.deployment).toMatch(/^echo-(us|global)$/);
    expect(event.attempts).toHaveLength(1);
  });

  it('streams without a usage chunk unless asked, and still records usage', async () => {
    const { data: stream, response } = await client().chat.completions.create({ model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'one two three four' }] }).withResponse();
    let text = '';
    let usageChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usageChunks += 1;
    }
    expect(text).toBe('one two three four');
    expect(usageChunks).toBe(0);
    const event = await callEvent(response.headers.get('x-tollgate-call-id'));
    expect(event).toMatchObject({ stream: true, outcome: 'ok', usage: { source: 'provider' } });
    expect(event.usage.outputTokens).toBeGreaterThan(0);
    expect(event.timeToFirstTokenMs).not.toBeNull();
  });

  it('passes the usage chunk on when the client asks for it', async () => {
    const stream = await client().chat.completions.create({ model: 'mock/echo', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count me' }] });
    const usages = [];
    for await (const chunk of stream) if (chunk.usage) usages.push(chunk.usage);
    expect(usages).toHaveLength(1);
    expect(usages[0].total_tokens).toBe(usages[0].prompt_tokens + usages[0].completion_tokens);
  });

  it('ends a stream cut mid-way with an error event and records it as truncated', async () => {
    const { data: stream, response } = await client()
      .chat.completions.create({ model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'a b c d e f g h' }], mock: { cut_stream_after_chunks: 2 } } as unknown as OpenAI.ChatCompletionCreateParamsStreaming)
      .withResponse();
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      })(),
    ).rejects.toThrow();
    expect(text.length).toBeGreaterThan(0);
    const event = await callEvent(response.headers.get('x-tollgate-call-id'));
    expect(event).toMatchObject({ outcome: 'truncated', usage: { source: 'estimated' } });
    expect(event.usage.outputTokens).toBeGreaterThan(0);
  });

  it('retries a rate-limited call, then answers 429 in the OpenAI shape and records every attempt', async () => {
    const failing = { model: 'mock/echo', messages: [{ role: 'user', content: 'limited' }], mock: { fail_status: 429, retry_after_seconds: 0 } } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
    await expect(client().chat.completions.create(failing)).rejects.toMatchObject({ status: 429, type: 'rate_limit_error' });
    const event = await expectEventually(() => {
      const found = recorded.find((e) => e.outcome === 'failed' && e.promptStats?.characters === 'limited'.length);
      if (!found) throw new Error('no failed call yet');
      return found;
    });
    expect(event.attempts.length).toBeGreaterThan(1);
    expect(event.attempts.every((a) => a.status === 429 && a.errorClass === 'rate_limited')).toBe(true);
  });

  it('stops the upstream call when the client of a JSON completion hangs up, and records why', async () => {
    // The mock would take 5 s; the client gives up after 200 ms.
    const slow = { model: 'mock/echo', messages: [{ role: 'user', content: 'hang up on me' }], mock: { latency_ms: 5000 } } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 200);
    await expect(client().chat.completions.create(slow, { signal: abort.signal })).rejects.toThrow();
    clearTimeout(timer);
    const event = await expectEventually(() => {
      const found = recorded.find((e) => e.promptStats?.characters === 'hang up on me'.length);
      if (!found) throw new Error('no llm.call for the abandoned call yet');
      return found;
    });
    expect(event).toMatchObject({ outcome: 'failed', error: { type: 'client_disconnected' } });
    // Stopped when the client left, not when the mock would have answered.
    expect(event.latencyMs).toBeLessThan(4000);
    expect(event.attempts).toHaveLength(1);
  });

  it('stops the upstream stream when the client hangs up after the first chunk, and records it as truncated', async () => {
    // Eight words, a second apart: the whole answer would take ~8 s; the client leaves after its first content chunk.
    const slow = { model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'leave me after one word please ok' }], mock: { chunk_delay_ms: 1000 } } as unknown as OpenAI.ChatCompletionCreateParamsStreaming;
    const abort = new AbortController();
    const { data: stream, response } = await client().chat.completions.create(slow, { signal: abort.signal }).withResponse();
    let text = '';
    // The SDK ends the iteration quietly once its signal aborts.
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (text.length > 0) abort.abort();
    }
    expect(text.length).toBeGreaterThan(0);
    const event = await callEvent(response.headers.get('x-tollgate-call-id'));
    expect(event).toMatchObject({ stream: true, outcome: 'truncated', error: { type: 'client_disconnected' } });
    // Stopped when the client left, not when the last word would have come.
    expect(event.latencyMs).toBeLessThan(5000);
  });

  it('serves embeddings as floats and as base64', async () => {
    const floats = await client().embeddings.create({ model: 'mock/embed', input: ['alpha', 'beta'] });
    expect(floats.data).toHaveLength(2);
    expect(floats.data[0].embedding.length).toBeGreaterThan(0);
    expect(floats.usage.prompt_tokens).toBeGreaterThan(0);
    const res = await fetch(`${baseURL}/embeddings`, { method: 'POST', headers: { authorization: `Bearer ${acme.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/embed', input: 'alpha', encoding_format: 'base64' }) });
    const body = (await res.json()) as { data: Array<{ embedding: string }> };
    const bytes = Buffer.from(body.data[0].embedding, 'base64');
    const decoded = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    expect(Array.from(decoded).map((v) => v.toFixed(5))).toEqual(floats.data[0].embedding.map((v) => Math.fround(v).toFixed(5)));
  });

  it('never serves an EU tenant from a US or global deployment, even when every EU deployment is down', async () => {
    const eu = new OpenAI({ apiKey: euCo.key, baseURL, maxRetries: 0 });
    await expect(eu.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'eu data' }] })).rejects.toMatchObject({ status: expect.any(Number) });
    const event = await expectEventually(() => {
      const found = recorded.find((e) => e.tenantId === 'ten_eu' && e.operation === 'chat');
      if (!found) throw new Error('no eu call yet');
      return found;
    });
    expect(event.outcome).toBe('failed');
    expect(event.attempts.length).toBeGreaterThan(0);
    expect(event.attempts.every((a) => a.deployment === 'echo-eu-down')).toBe(true);
    const models = await eu.models.list();
    expect(models.data.map((m) => m.id)).toContain('mock/echo');
    expect(models.data.map((m) => m.id)).not.toContain('mock/embed');
  });

  it('answers bad input with 4xx in the OpenAI shape, never 5xx', async () => {
    const cases: Array<[unknown, number, string | null]> = [
      [{ model: 'mock/echo', messages: [] }, 400, 'messages'],
      [{ model: 'mock/echo', messages: [{ role: 'wizard', content: 'x' }] }, 400, 'messages[0].role'],
      [{ model: 42, messages: [{ role: 'user', content: 'x' }] }, 400, 'model'],
      [{ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }], max_tokens: -5 }, 400, 'max_tokens'],
      [{ model: 'nobody/nothing', messages: [{ role: 'user', content: 'x' }] }, 404, 'model'],
      [{ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }], stream: 'yes' }, 400, 'stream'],
    ];
    for (const [body, status, param] of cases) {
      const res = await fetch(`${baseURL}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${acme.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.json()) as { error: { type: string; param: string | null; message: string } };
      expect({ body, status: res.status, param: json.error.param }).toEqual({ body, status, param });
    }
  });
});
