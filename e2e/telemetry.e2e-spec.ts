import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { TOPICS } from '@tollgate/contracts';
import { freePort } from '@tollgate/persistence';
import { generateApiKey } from '@tollgate/platform';
import { OtlpHttpReceiver, startAppProcess } from '@tollgate/testing';
import type { AppProcess } from '@tollgate/testing';

describe('all-in-one telemetry over OTLP', () => {
  let dataDir: string;
  let app: AppProcess;
  const receiver = new OtlpHttpReceiver();
  const key = generateApiKey();

  beforeAll(async () => {
    const { url } = await receiver.start();
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-e2e-otel-'));
    await chmod(dataDir, 0o755);
    app = await startAppProcess(
      'dist/apps/all-in-one/src/main.js',
      {
        TOLLGATE_DATA_DIR: dataDir,
        TOLLGATE_BOOTSTRAP_KEY: key,
        LOG_LEVEL: 'warn',
        OTEL_EXPORTER_OTLP_ENDPOINT: url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        OTEL_METRICS_EXPORTER: 'otlp',
      },
      { port: await freePort() },
    );
  });

  afterAll(async () => {
    await app?.stop();
    await receiver.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("continues the client's trace through the gateway's chat span to the cost-ledger consumer", async () => {
    const clientTraceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const clientSpanId = '1122334455667788';
    const client = new OpenAI({ apiKey: key, baseURL: `${app.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create(
      { model: 'mock/echo', messages: [{ role: 'user', content: 'trace me' }] },
      { headers: { traceparent: `00-${clientTraceId}-${clientSpanId}-01` } },
    );

    const inTrace = (name: string) => receiver.waitForSpans(1, { filter: (s) => s.traceId === clientTraceId && s.name === name, timeoutMs: 20_000 });
    const [chat] = await inTrace('chat mock/echo');
    expect(chat.kind).toBe(3);
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'mock',
      'gen_ai.request.model': 'mock/echo',
      'gen_ai.response.model': 'echo',
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(Number(chat.attributes['gen_ai.usage.input_tokens'])).toBeGreaterThan(0);
    expect(chat.resource['service.name']).toBe('tollgate-all-in-one');

    const [consumed] = await inTrace(`process ${TOPICS.llmCall}`);
    expect(consumed.kind).toBe(5);
    expect(consumed.attributes['messaging.consumer.group.name']).toBe('cost-ledger');

    const server = receiver.spans().find((s) => s.traceId === clientTraceId && s.parentSpanId === clientSpanId);
    expect(server?.kind).toBe(2);
    // The chat route is served ahead of Express (the fast path) and traces itself: one server span, named after its route.
    expect(server?.name).toBe('POST /v1/chat/completions');
    expect(server?.attributes['http.route']).toBe('/v1/chat/completions');
    expect(receiver.spans().filter((s) => s.traceId === clientTraceId && s.kind === 2)).toHaveLength(1);
    expect(chat.parentSpanId).toBe(server?.spanId);
  });

  it('exports the GenAI client metrics', async () => {
    const exported = await receiver.waitForMetric('gen_ai.client.token.usage', { timeoutMs: 20_000 });
    expect(exported.length).toBeGreaterThan(0);
    await receiver.waitForMetric('gen_ai.client.operation.duration', { timeoutMs: 20_000 });
  });
});
