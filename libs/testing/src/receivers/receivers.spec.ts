import { gzipSync } from 'node:zlib';
import { LangfuseReceiver } from './langfuse.receiver';
import { OtlpHttpReceiver } from './otlp-http.receiver';

const traces = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeSpans: [
        {
          scope: { name: 'tollgate' },
          spans: [
            {
              traceId: 'a'.repeat(32),
              spanId: 'b'.repeat(16),
              name: 'chat m',
              kind: 3,
              attributes: [
                { key: 'gen_ai.usage.input_tokens', value: { intValue: '12' } },
                { key: 'gen_ai.response.finish_reasons', value: { arrayValue: { values: [{ stringValue: 'stop' }] } } },
              ],
            },
          ],
        },
      ],
    },
  ],
};

describe('OtlpHttpReceiver', () => {
  const receiver = new OtlpHttpReceiver();
  let url: string;
  beforeAll(async () => ({ url } = await receiver.start()));
  afterAll(() => receiver.stop());
  beforeEach(() => receiver.reset());

  it('decodes gzip OTLP/HTTP JSON spans', async () => {
    const response = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(traces)),
    });
    expect(response.status).toBe(200);
    const [span] = await receiver.waitForSpans(1);
    expect(span).toMatchObject({
      name: 'chat m',
      kind: 3,
      parentSpanId: undefined,
      resource: { 'service.name': 'svc' },
      attributes: { 'gen_ai.usage.input_tokens': 12, 'gen_ai.response.finish_reasons': ['stop'] },
    });
  });

  it('refuses protobuf with 415 and unknown paths with 404', async () => {
    const protobuf = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array([1]) });
    const logs = await fetch(`${url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect([protobuf.status, logs.status]).toEqual([415, 404]);
    expect(receiver.requests()).toEqual([]);
    await expect(receiver.waitForSpans(1, { timeoutMs: 50 })).rejects.toThrow(/refused: 415 \/v1\/traces/);
  });
});

describe('LangfuseReceiver', () => {
  const receiver = new LangfuseReceiver({ publicKey: 'pk', secretKey: 'sk' });
  let url: string;
  beforeAll(async () => ({ url } = await receiver.start()));
  afterAll(() => receiver.stop());
  beforeEach(() => receiver.reset());

  const post = (headers: Record<string, string>): Promise<Response> =>
    fetch(`${url}/api/public/otel/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(traces) });
  const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('records spans sent with the right keys and ingestion version 4', async () => {
    expect((await post({ authorization: basic('pk', 'sk'), 'x-langfuse-ingestion-version': '4' })).status).toBe(200);
    expect(receiver.spans().map((span) => span.name)).toEqual(['chat m']);
  });

  it('answers 401 to wrong keys and 400 without the ingestion version', async () => {
    expect((await post({ authorization: basic('pk', 'nope'), 'x-langfuse-ingestion-version': '4' })).status).toBe(401);
    expect((await post({ authorization: basic('pk', 'sk') })).status).toBe(400);
    expect(receiver.spans()).toEqual([]);
    expect(receiver.rejections().map((rejection) => rejection.status)).toEqual([401, 400]);
  });
});
