import { AlwaysOnSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OtlpHttpReceiver } from '@tollgate/testing';
import { SPAN_BATCH_DEFAULTS, traceExportProcessors } from './exporters';

/** The batch settings a BatchSpanProcessor was built with (the SDK keeps them in private fields). */
function batchSettings(processor: SpanProcessor | undefined): { maxExportBatchSize: unknown; scheduledDelayMillis: unknown } {
  const fields = processor as unknown as { _maxExportBatchSize?: unknown; _scheduledDelayMillis?: unknown };
  return { maxExportBatchSize: fields._maxExportBatchSize, scheduledDelayMillis: fields._scheduledDelayMillis };
}

const VARIABLES = ['OTEL_TRACES_EXPORTER', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'OTEL_BSP_SCHEDULE_DELAY'];

describe('traceExportProcessors: span batching', () => {
  const receiver = new OtlpHttpReceiver();
  let url: string;
  const saved = new Map<string, string | undefined>();
  const processors: SpanProcessor[] = [];

  beforeAll(async () => {
    url = (await receiver.start()).url;
  });
  afterAll(() => receiver.stop());
  beforeEach(() => {
    receiver.reset();
    for (const name of VARIABLES) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = url;
    process.env['OTEL_EXPORTER_OTLP_PROTOCOL'] = 'http/json';
  });
  afterEach(async () => {
    await Promise.all(processors.splice(0).map((processor) => processor.shutdown()));
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('batches by 64 spans or 1 s when OTEL_BSP_* are unset, and leaves the environment as it was', () => {
    const built = traceExportProcessors();
    processors.push(...built);
    expect(built).toHaveLength(1);
    expect(batchSettings(built[0])).toEqual({ maxExportBatchSize: 64, scheduledDelayMillis: 1000 });
    expect(SPAN_BATCH_DEFAULTS).toEqual({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64', OTEL_BSP_SCHEDULE_DELAY: '1000' });
    expect(process.env['OTEL_BSP_MAX_EXPORT_BATCH_SIZE']).toBeUndefined();
    expect(process.env['OTEL_BSP_SCHEDULE_DELAY']).toBeUndefined();
  });

  it('exports a full batch of 64 spans at once, without waiting for a flush or the schedule', async () => {
    const built = traceExportProcessors();
    processors.push(...built);
    const tracer = new BasicTracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: built }).getTracer('exporters-spec');
    for (let i = 0; i < 64; i += 1) tracer.startSpan(`batched ${i}`).end();
    // Under the SDK's own defaults (512 spans, 5 s) nothing would arrive within this deadline.
    const spans = await receiver.waitForSpans(64, { timeoutMs: 900 });
    expect(spans.map((span) => span.name).sort()).toEqual(Array.from({ length: 64 }, (_, i) => `batched ${i}`).sort());
    expect(receiver.requests().filter((request) => request.path === '/v1/traces')).toHaveLength(1);
  });

  it("keeps the operator's OTEL_BSP_* values", () => {
    process.env['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'] = '200';
    process.env['OTEL_BSP_SCHEDULE_DELAY'] = '3000';
    const built = traceExportProcessors();
    processors.push(...built);
    expect(batchSettings(built[0])).toEqual({ maxExportBatchSize: 200, scheduledDelayMillis: 3000 });
    expect(process.env['OTEL_BSP_MAX_EXPORT_BATCH_SIZE']).toBe('200');
  });

  it('sets one default and keeps the other value when only one is given', () => {
    process.env['OTEL_BSP_SCHEDULE_DELAY'] = '250';
    const built = traceExportProcessors();
    processors.push(...built);
    expect(batchSettings(built[0])).toEqual({ maxExportBatchSize: 64, scheduledDelayMillis: 250 });
  });

  it('builds no processor when tracing export is off', () => {
    process.env['OTEL_TRACES_EXPORTER'] = 'none';
    expect(traceExportProcessors()).toEqual([]);
  });
});
