import { ROOT_CONTEXT, SpanKind, context, propagation, trace } from '@opentelemetry/api';
import type { Span, SpanOptions } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOnSampler, BasicTracerProvider, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { isUnsampledLocalSpan, startActiveChildSpan } from './child-span';

const exporter = new InMemorySpanExporter();
/** Samples everything. */
const keeping = new BasicTracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [new SimpleSpanProcessor(exporter)] });
/** The chart's sampler at a ratio of 0: drops every root, follows its parents. */
const dropping = new BasicTracerProvider({ sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();

beforeAll(() => {
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

afterAll(async () => {
  await Promise.all([keeping.shutdown(), dropping.shutdown()]);
  context.disable();
  propagation.disable();
});

beforeEach(() => exporter.reset());

const childOptions = (): SpanOptions => ({ kind: SpanKind.CLIENT, attributes: { 'gen_ai.request.model': 'm' } });

/** Runs startActiveChildSpan under `parent` (none: no active span), reporting what fn saw and whether options were built. */
function runUnder(parent: Span | undefined, tracer = keeping.getTracer('test')): { span: Span; active: Span | undefined; optionsBuilt: boolean } {
  let optionsBuilt = false;
  const options = (): SpanOptions => {
    optionsBuilt = true;
    return childOptions();
  };
  const ctx = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
  const { span, active } = context.with(ctx, () =>
    startActiveChildSpan(tracer, 'chat m', options, (span) => {
      const seen = { span, active: trace.getActiveSpan() };
      span.end();
      return seen;
    }),
  );
  return { span, active, optionsBuilt };
}

describe('startActiveChildSpan', () => {
  it('under an unsampled span of this process: runs with that span, starts none and builds no options', () => {
    const parent = dropping.getTracer('test').startSpan('POST /v1/chat/completions', { kind: SpanKind.SERVER });
    expect(parent.isRecording()).toBe(false);
    const { span, active, optionsBuilt } = runUnder(parent, dropping.getTracer('test'));
    expect(span).toBe(parent);
    expect(active).toBe(parent);
    expect(optionsBuilt).toBe(false);
  });

  it('under a sampled span: starts a recording child, active inside, with the options', () => {
    const parent = keeping.getTracer('test').startSpan('POST /v1/chat/completions', { kind: SpanKind.SERVER });
    const { span, active, optionsBuilt } = runUnder(parent);
    parent.end();
    expect(optionsBuilt).toBe(true);
    expect(span).not.toBe(parent);
    expect(active).toBe(span);
    const child = exporter.getFinishedSpans().find((s) => s.name === 'chat m') as ReadableSpan;
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect({ kind: child.kind, attributes: child.attributes }).toEqual({ kind: SpanKind.CLIENT, attributes: { 'gen_ai.request.model': 'm' } });
  });

  it('under a remote parent that was not sampled: leaves the decision to the SDK (a span of its own)', () => {
    const remote = propagation.extract(ROOT_CONTEXT, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' });
    const remoteSpan = trace.getSpan(remote);
    expect(isUnsampledLocalSpan(remoteSpan)).toBe(false);
    const { span, optionsBuilt } = runUnder(remoteSpan);
    expect(optionsBuilt).toBe(true);
    expect(span).not.toBe(remoteSpan);
    expect(span.spanContext().spanId).not.toBe('b7ad6b7169203331');
    expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('with no active span: starts a root span as the SDK decides', () => {
    const { span, active, optionsBuilt } = runUnder(undefined);
    expect(optionsBuilt).toBe(true);
    expect(active).toBe(span);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['chat m']);
  });
});
