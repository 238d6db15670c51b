import { LangfuseReceiver, OtlpHttpReceiver } from '@tollgate/testing';
import type { ReceivedSpan } from '@tollgate/testing';
import { compileTelemetry, runFixture } from '../test/run-fixture';
import type { FixtureRun } from '../test/run-fixture';
import { GEN_AI_OPERATION_DURATION_BUCKETS, GEN_AI_TOKEN_USAGE_BUCKETS } from './metrics';

// The SDK is process-global, so every scenario runs startTelemetry in its own child process.
const SCENARIO_TIMEOUT = 60_000;
const GENAI_SPANS = 20;

const isChat = (span: ReceivedSpan): boolean => span.name === 'chat mock-model';
const isPlain = (span: ReceivedSpan): boolean => span.name === 'fixture plain work';

function expectCleanExit(run: FixtureRun): void {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
}

describe('startTelemetry (in a child process)', () => {
  let compiled: ReturnType<typeof compileTelemetry>;
  const otlp = new OtlpHttpReceiver();
  let otlpUrl: string;

  beforeAll(async () => {
    compiled = compileTelemetry();
    otlpUrl = (await otlp.start()).url;
  });
  afterAll(async () => {
    await otlp.stop();
    compiled.cleanup();
  });
  beforeEach(() => otlp.reset());

  const otlpJson = (): Record<string, string> => ({ OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });

  it(
    'exports spans and metrics over OTLP with the Tollgate resource, and leaves health and metrics requests untraced',
    async () => {
      const run = await runFixture(compiled.dir, {
        ...otlpJson(),
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
        FIXTURE_HTTP: '1',
      });
      expectCleanExit(run);
      expect(run.result).toMatchObject({
        preloaded: [], // importing @tollgate/telemetry loads none of pg, kafkajs, express
        sameHandle: true,
        serviceName: 'tollgate-fixture',
        httpStatuses: [200, 200, 200, 200],
        prometheusHasTokenUsage: true,
        metricsPageHasTokenUsage: true, // GET /metrics of TelemetryModule in a running Nest app
      });
      expect(run.result.metricsContentType).toMatch(/^text\/plain/);
      expect(run.result.propagationFields).toEqual(expect.arrayContaining(['traceparent', 'baggage']));

      const chats = await otlp.waitForSpans(GENAI_SPANS, { filter: isChat });
      expect(chats).toHaveLength(GENAI_SPANS);
      expect(chats[0]?.resource).toMatchObject({
        'service.name': 'tollgate-fixture',
        'service.namespace': 'tollgate',
        'service.version': '1.2.3',
        'deployment.environment.name': 'test',
      });
      expect(chats[0]?.scope.name).toBe('tollgate');

      // Nest 12 imports express as ESM; the route still reaches the server span and express spans.
      const spans = otlp.spans();
      expect(spans).toContainEqual(
        expect.objectContaining({ name: 'GET /work', kind: 2, attributes: expect.objectContaining({ 'http.route': '/work' }) }),
      );
      expect(spans.some((span) => span.scope.name === '@opentelemetry/instrumentation-express' && span.attributes['http.route'] === '/work')).toBe(true);
      for (const probe of ['/healthz', '/readyz', '/metrics']) {
        expect(spans.filter((span) => JSON.stringify(span).includes(probe))).toEqual([]);
      }

      const tokenUsage = await otlp.waitForMetric('gen_ai.client.token.usage');
      expect(tokenUsage[0]).toMatchObject({ unit: '{token}', type: 'histogram' });
      expect(tokenUsage[0]?.points.map((point) => [point.attributes['gen_ai.token.type'], point.sum])).toEqual(
        expect.arrayContaining([
          ['input', 12],
          ['output', 34],
        ]),
      );
      expect(tokenUsage[0]?.points[0]?.explicitBounds).toEqual(GEN_AI_TOKEN_USAGE_BUCKETS);
      const duration = await otlp.waitForMetric('gen_ai.client.operation.duration');
      expect(duration[0]).toMatchObject({ unit: 's' });
      expect(duration[0]?.points[0]?.explicitBounds).toEqual(GEN_AI_OPERATION_DURATION_BUCKETS);
      // Declared before startTelemetry, recorded after: the late-bound instrument still counts.
      const blocked = await otlp.waitForMetric('tollgate.calls.blocked');
      expect(blocked[0]?.points[0]?.value).toBe(1);
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'with instrumentations: false, exports the spans the process starts itself and traces no HTTP request',
    async () => {
      const instrumented = await runFixture(compiled.dir, { ...otlpJson(), FIXTURE_HTTP: '1' });
      expectCleanExit(instrumented);
      expect(instrumented.result.loadedByStart).toEqual(['express']); // preloaded for its ESM importers
      expect(await otlp.waitForSpans(1, { filter: (span) => span.name === 'GET /work' })).toHaveLength(1);
      otlp.reset();

      const run = await runFixture(compiled.dir, { ...otlpJson(), FIXTURE_HTTP: '1', FIXTURE_INSTRUMENTATIONS: 'off' });
      expectCleanExit(run);
      expect(run.result).toMatchObject({ loadedByStart: [], httpStatuses: [200, 200, 200, 200] });
      expect(await otlp.waitForSpans(GENAI_SPANS, { filter: isChat })).toHaveLength(GENAI_SPANS);
      // The child flushed before exiting: every span it made has arrived, and none is an HTTP span.
      expect(otlp.spans().filter((span) => span.kind === 2 || span.scope.name.startsWith('@opentelemetry/instrumentation'))).toEqual([]);
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'samples by OTEL_TRACES_SAMPLER: traceidratio 0 exports no span, always_on exports every span',
    async () => {
      const none = await runFixture(compiled.dir, { ...otlpJson(), OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
      expectCleanExit(none);
      // The child flushed before exiting, so whatever it was going to export has arrived.
      expect(otlp.spans()).toEqual([]);
      expect(otlp.rejections()).toEqual([]);
      // Unsampled spans still carry trace ids (for llm.call events and Kafka headers).
      expect(none.result.validTraceIds).toBe(GENAI_SPANS);

      const all = await runFixture(compiled.dir, { ...otlpJson(), OTEL_TRACES_SAMPLER: 'always_on' });
      expectCleanExit(all);
      expect(await otlp.waitForSpans(GENAI_SPANS, { filter: isChat })).toHaveLength(GENAI_SPANS);
      expect(otlp.spans().filter(isPlain)).toHaveLength(1);
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'lets OTEL_SERVICE_NAME override the service name and keeps the Tollgate namespace',
    async () => {
      const run = await runFixture(compiled.dir, { ...otlpJson(), OTEL_SERVICE_NAME: 'gateway-canary' });
      expectCleanExit(run);
      expect(run.result.serviceName).toBe('gateway-canary');
      const [span] = await otlp.waitForSpans(1, { filter: isChat });
      expect(span?.resource).toMatchObject({ 'service.name': 'gateway-canary', 'service.namespace': 'tollgate' });
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'exports nothing and stays quiet when no OTLP endpoint is configured',
    async () => {
      const run = await runFixture(compiled.dir, {});
      // No exporter means no attempt on localhost:4318, hence no connection errors on stderr.
      expectCleanExit(run);
      expect(run.result.validTraceIds).toBe(GENAI_SPANS);
      expect(run.result.prometheusHasTokenUsage).toBe(true);
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'honours OTEL_TRACES_EXPORTER=none even with an endpoint',
    async () => {
      const run = await runFixture(compiled.dir, { ...otlpJson(), OTEL_TRACES_EXPORTER: 'none' });
      expectCleanExit(run);
      expect(otlp.requests()).toEqual([]);
      expect(otlp.rejections()).toEqual([]);
    },
    SCENARIO_TIMEOUT,
  );

  it(
    'logs a failing export (protobuf to a JSON-only receiver) without failing the process',
    async () => {
      // OTEL_EXPORTER_OTLP_PROTOCOL unset: the spec default http/protobuf, which the receiver refuses.
      const run = await runFixture(compiled.dir, { OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl });
      expect(run.code).toBe(0);
      expect(otlp.rejections().map((rejection) => rejection.status)).toContain(415);
      expect(otlp.spans()).toEqual([]);
      expect(run.stderr).toMatch(/Unsupported Media Type/);
    },
    SCENARIO_TIMEOUT,
  );

  describe('with LANGFUSE_* set', () => {
    const keys = { publicKey: 'pk-lf-test', secretKey: 'sk-lf-test' };
    const langfuse = new LangfuseReceiver(keys);
    let langfuseUrl: string;

    beforeAll(async () => {
      langfuseUrl = (await langfuse.start()).url;
    });
    afterAll(() => langfuse.stop());
    beforeEach(() => langfuse.reset());

    it(
      'sends only GenAI spans to Langfuse, with Basic auth and ingestion version 4, and keeps collector headers away from it',
      async () => {
        const run = await runFixture(compiled.dir, {
          ...otlpJson(),
          OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=collector-secret',
          LANGFUSE_PUBLIC_KEY: keys.publicKey,
          LANGFUSE_SECRET_KEY: keys.secretKey,
          LANGFUSE_BASE_URL: `${langfuseUrl}/`,
        });
        expectCleanExit(run);

        const received = await langfuse.waitForSpans(GENAI_SPANS);
        expect(received.every(isChat)).toBe(true);
        expect(received[0]?.attributes['gen_ai.operation.name']).toBe('chat');
        expect(received[0]?.resource['service.name']).toBe('tollgate-fixture');
        expect(langfuse.rejections()).toEqual([]);
        for (const request of langfuse.requests()) {
          expect(request.headers.authorization).toBe(`Basic ${Buffer.from('pk-lf-test:sk-lf-test').toString('base64')}`);
          expect(request.headers['x-langfuse-ingestion-version']).toBe('4');
          expect(request.headers['x-collector-token']).toBeUndefined();
        }

        // The collector still gets everything, with its own header.
        await otlp.waitForSpans(GENAI_SPANS + 1);
        expect(otlp.spans().filter(isPlain)).toHaveLength(1);
        expect(otlp.requests().every((request) => request.headers['x-collector-token'] === 'collector-secret')).toBe(true);
      },
      SCENARIO_TIMEOUT,
    );

    it(
      'is refused with 401 on wrong keys, and the process still exits cleanly',
      async () => {
        const run = await runFixture(compiled.dir, {
          LANGFUSE_PUBLIC_KEY: keys.publicKey,
          LANGFUSE_SECRET_KEY: 'sk-wrong',
          LANGFUSE_BASE_URL: langfuseUrl,
        });
        expect(run.code).toBe(0);
        expect(langfuse.spans()).toEqual([]);
        expect(langfuse.rejections().map((rejection) => rejection.status)).toContain(401);
        expect(run.stderr).toMatch(/Unauthorized/); // logged, not thrown
      },
      SCENARIO_TIMEOUT,
    );
  });
});
