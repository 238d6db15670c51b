import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ROOT_CONTEXT, TraceFlags, context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { LlmCallV1, TOPICS } from '@tollgate/contracts';
import { llmCallEvent } from '@tollgate/testing';
import { TransportPublisher } from './event-publisher';
import type { OutgoingMessage } from './event-publisher';

/** A transport that keeps what it is handed. */
class CapturingPublisher extends TransportPublisher {
  protected readonly system = 'kafka' as const;
  readonly sent: OutgoingMessage[] = [];

  protected send(message: OutgoingMessage): Promise<void> {
    this.sent.push(message);
    return Promise.resolve();
  }

  protected closeTransport(): Promise<void> {
    return Promise.resolve();
  }
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

afterEach(() => exporter.reset());

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

describe('TransportPublisher producer spans', () => {
  it('sends within a sampled call through a `send` span, whose context the message carries', async () => {
    const publisher = new CapturingPublisher();
    const sampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    await context.with(sampled, () => publisher.publish(LlmCallV1, llmCallEvent()));
    const send = exporter.getFinishedSpans().find((s) => s.name === `send ${TOPICS.llmCall}`);
    expect(send?.parentSpanContext?.spanId).toBe(SPAN_ID);
    expect(publisher.sent[0].headers['traceparent']).toBe(`00-${TRACE_ID}-${send?.spanContext().spanId}-01`);
  });

  it('starts no span within an unsampled call: the message carries the call\'s own context', async () => {
    const publisher = new CapturingPublisher();
    const unsampledRemote = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.NONE, isRemote: true });
    // The call's own span, dropped by the (parent-based) sampler like its remote parent.
    const call = trace.getTracer('spec').startSpan('chat m', {}, unsampledRemote);
    expect(call.isRecording()).toBe(false);
    await context.with(trace.setSpan(unsampledRemote, call), () => publisher.publish(LlmCallV1, llmCallEvent()));
    expect(publisher.sent[0].headers['traceparent']).toBe(`00-${TRACE_ID}-${call.spanContext().spanId}-00`);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('starts a span under an unsampled remote parent, which another sampler than parent-based may still sample', async () => {
    const publisher = new CapturingPublisher();
    const unsampledRemote = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.NONE, isRemote: true });
    await context.with(unsampledRemote, () => publisher.publish(LlmCallV1, llmCallEvent()));
    const [, spanId, flags] = /^00-[0-9a-f]{32}-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(publisher.sent[0].headers['traceparent'] ?? '') ?? [];
    expect({ fresh: spanId !== SPAN_ID, flags }).toEqual({ fresh: true, flags: '00' });
  });

  it('starts a span for an event published outside any trace (it may be sampled as a root)', async () => {
    const publisher = new CapturingPublisher();
    await publisher.publish(LlmCallV1, llmCallEvent());
    const send = exporter.getFinishedSpans().find((s) => s.name === `send ${TOPICS.llmCall}`);
    expect(send).toBeDefined();
    expect(publisher.sent[0].headers['traceparent']).toBe(`00-${send?.spanContext().traceId}-${send?.spanContext().spanId}-01`);
  });
});
