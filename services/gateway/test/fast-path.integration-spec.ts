import { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Logger } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import OpenAI from 'openai';
import { expectEventually, tenantWithKey } from '@tollgate/testing';
import { ApiKeyGuard } from '@tollgate/platform';
import { LlmCallRecorder } from '../src/calls/llm-call.recorder';
import { startGatewayTestApp } from './support/gateway-test-app';

// POST /v1/chat/completions with a plain JSON body is served ahead of Express (the fast path);
// everything else on that path goes on to Express and the Nest controller. Both must answer alike.

const DEPLOYMENTS = [
  { id: 'echo', provider: 'mock', publicModel: 'mock/echo', model: 'echo', region: 'global' },
  { id: 'embed', provider: 'mock', publicModel: 'mock/embed', model: 'embed', region: 'global', supportsEmbeddings: true },
];
const LIMIT = 4096;

describe('chat completions fast path', () => {
  let app: INestApplication;
  let url: string;
  const tenant = tenantWithKey('ten_fast');
  // The key guard runs on the framework path only (the fast path checks the key itself).
  const frameworkKeyChecks = jest.spyOn(ApiKeyGuard.prototype, 'canActivate');
  const chatBody = (content: string) => JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content }] });
  const post = (body: RequestInit['body'], headers: Record<string, string> = {}, init: RequestInit = {}) =>
    fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.key}`, ...headers }, body, ...init });

  beforeAll(async () => {
    const started = await startGatewayTestApp({ TOLLGATE_DEPLOYMENTS: JSON.stringify(DEPLOYMENTS), TOLLGATE_MAX_BODY_BYTES: String(LIMIT) });
    app = started.app;
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    await started.addTenants(tenant);
  });

  afterAll(async () => {
    await app?.close();
    frameworkKeyChecks.mockRestore();
  });

  beforeEach(() => frameworkKeyChecks.mockClear());

  it('serves a plain JSON completion without the framework, with the official client', async () => {
    const client = new OpenAI({ apiKey: tenant.key, baseURL: `${url}/v1`, maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'fast' }] }).withResponse();
    expect(data.choices[0].message.content).toBe('fast');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('x-tollgate-call-id')).toBeTruthy();
    const chunks: string[] = [];
    for await (const chunk of await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'fast stream' }], stream: true })) chunks.push(chunk.choices[0]?.delta.content ?? '');
    expect(chunks.join('')).toBe('fast stream');
    expect(frameworkKeyChecks).not.toHaveBeenCalled();
  });

  it('keeps a well-formed incoming x-request-id', async () => {
    const res = await post(chatBody('id'), { 'x-request-id': 'client-req-42' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('client-req-42');
  });

  it('hands a gzip body to Express, which inflates it, and answers the same', async () => {
    const res = await post(gzipSync(chatBody('zipped')), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content).toBe('zipped');
    expect(frameworkKeyChecks).toHaveBeenCalledTimes(1);
  });

  it('answers a body that is not JSON through the framework path in the OpenAI shape', async () => {
    const res = await post(chatBody('typed as text'), { 'content-type': 'text/plain' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_body' } });
    expect(frameworkKeyChecks).toHaveBeenCalledTimes(1);
  });

  it('refuses a body over the limit with 413, from Content-Length and from a chunked body', async () => {
    const big = chatBody('x'.repeat(LIMIT));
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: { message: `Request body is larger than the limit of ${LIMIT} bytes.`, type: 'invalid_request_error', param: null, code: 'request_too_large' } });
    // No Content-Length: the limit is enforced while reading.
    const chunked = await post(Readable.toWeb(Readable.from([big.slice(0, 3000), big.slice(3000)])) as ReadableStream, {}, { duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toMatchObject({ error: { code: 'request_too_large' } });
    // The connection is still good for the next call.
    expect((await post(chatBody('after'))).status).toBe(200);
    expect(frameworkKeyChecks).not.toHaveBeenCalled();
  });

  it('answers malformed JSON, a non-object body, bad fields and a missing key in the OpenAI shape', async () => {
    const malformed = await post('{"model": "mock/echo", "messages": [');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: { message: expect.stringContaining('JSON'), type: 'invalid_request_error', param: null, code: 'invalid_json' } });
    const array = await post('[1, 2]');
    expect(array.status).toBe(400);
    expect(await array.json()).toMatchObject({ error: { code: 'invalid_body' } });
    const badField = await post(JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }));
    expect(badField.status).toBe(400);
    expect(await badField.json()).toMatchObject({ error: { param: 'temperature', code: 'invalid_type' } });
    const noKey = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody('x') });
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await noKey.json()).toMatchObject({ error: { type: 'authentication_error', code: 'missing_api_key' } });
    expect(frameworkKeyChecks).not.toHaveBeenCalled();
  });

  it('leaves other methods and paths to the framework', async () => {
    const get = await fetch(`${url}/v1/chat/completions`, { headers: { authorization: `Bearer ${tenant.key}` } });
    expect(get.status).toBe(404);
    expect(await get.json()).toMatchObject({ error: { type: 'not_found_error' } });
    const withQuery = await fetch(`${url}/v1/chat/completions?trace=1`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.key}` }, body: chatBody('x') });
    expect(withQuery.status).toBe(200);
    expect(frameworkKeyChecks).not.toHaveBeenCalled();
    const sibling = await fetch(`${url}/v1/chat/completions-extra`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.key}` }, body: chatBody('x') });
    expect(sibling.status).toBe(404);
    const models = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${tenant.key}` } });
    expect(models.status).toBe(200);
    expect(frameworkKeyChecks).toHaveBeenCalledTimes(1);
  });

  /**
   * The call's answer is written before its event is recorded (CallSettlement), and a recorder
   * that throws is logged while the client still gets its answer and the next call works.
   */
  async function answersBeforeRecording(operation: string, call: (text: string) => Promise<Response>, answered: (res: Response, text: string) => Promise<void>): Promise<void> {
    const order: string[] = [];
    const endOriginal = ServerResponse.prototype.end;
    const end = jest.spyOn(ServerResponse.prototype, 'end').mockImplementation(function (this: ServerResponse, ...args: unknown[]) {
      order.push('answer');
      return Reflect.apply(endOriginal, this, args) as ServerResponse;
    });
    const record = jest.spyOn(app.get(LlmCallRecorder), 'record');
    record.mockImplementationOnce((event) => {
      order.push(`record ${event.operation}`);
    });
    try {
      expect((await call('first the answer')).status).toBe(200);
      await expectEventually(() => expect(order).toEqual(['answer', `record ${operation}`]));
    } finally {
      end.mockRestore();
    }

    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    record.mockImplementationOnce(() => {
      throw new Error(`recorder broke on ${operation}`);
    });
    try {
      const res = await call('still answered');
      expect(res.status).toBe(200);
      await answered(res, 'still answered');
      await expectEventually(() => expect(logged).toHaveBeenCalledWith(expect.stringContaining(`recorder broke on ${operation}`)));
      // The server is still up, and recording works again.
      expect((await call('and after')).status).toBe(200);
      await expectEventually(() => expect(record).toHaveBeenCalledTimes(3));
    } finally {
      logged.mockRestore();
      record.mockRestore();
    }
  }

  it("writes a chat answer before the call's event is recorded, and a failing record is logged, not answered with an error", async () => {
    await answersBeforeRecording('chat', (text) => post(chatBody(text)), async (res, text) => {
      expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content).toBe(text);
    });
  });

  it('does the same for embeddings, which the framework path serves', async () => {
    const embed = (input: string) =>
      fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.key}` }, body: JSON.stringify({ model: 'mock/embed', input }) });
    await answersBeforeRecording('embeddings', embed, async (res) => {
      expect(((await res.json()) as { data: Array<{ embedding: number[] }> }).data[0].embedding.length).toBeGreaterThan(0);
    });
  });
});
