import { Controller, Injectable, Logger } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { DiagLogLevel, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, context, diag, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { LlmCallV1, TOPICS } from '@tollgate/contracts';
import type { EventOf } from '@tollgate/contracts';
import { ConsumeEvent, EVENT_PUBLISHER, InProcessBroker, MessagingModule, startEventConsumers } from './index';
import type { EventPublisher } from './index';
import { llmCallEvent } from '@tollgate/testing';
import { expectEventually } from '@tollgate/testing';
import { TransportPublisher } from './event-publisher';
import type { OutgoingMessage } from './event-publisher';

/** A transport that keeps what it is handed, or refuses it while `refuse` is set. */
class CapturingPublisher extends TransportPublisher {
  protected readonly system = 'kafka' as const;
  readonly sent: OutgoingMessage[] = [];
  refuse: Error | undefined;

  protected send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.refuse) return Promise.reject(this.refuse);
    this.sent.push(...messages);
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

@Injectable()
class SeenTraces {
  readonly traceIds: string[] = [];
}

@Controller()
class CostLedgerConsumer {
  constructor(private readonly seen: SeenTraces) {}

  @ConsumeEvent(LlmCallV1, { group: 'cost-ledger' })
  onLlmCall(_event: EventOf<typeof LlmCallV1>): void {
    // The handler runs inside the consumer span: what it does (queries, further events) joins the trace.
    this.seen.traceIds.push(trace.getActiveSpan()?.spanContext().traceId ?? 'none');
  }
}

describe('trace context across the bus', () => {
  let app: INestApplication;

  afterEach(async () => {
    await app.close();
    exporter.reset();
  });

  it('runs the handler in a consumer span of the publisher\'s trace', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ transport: { kind: 'in-process' } })],
      controllers: [CostLedgerConsumer],
      providers: [SeenTraces],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await startEventConsumers(app);
    await app.init();
    const publisher = app.get<EventPublisher>(EVENT_PUBLISHER);
    const event = llmCallEvent();

    const tracer = trace.getTracer('test');
    const publisherTraceId = await tracer.startActiveSpan('POST /v1/chat/completions', async (span) => {
      await publisher.publish(LlmCallV1, event);
      span.end();
      return span.spanContext().traceId;
    });
    await expectEventually(() => expect(app.get(SeenTraces).traceIds).toHaveLength(1));
    await app.get(InProcessBroker).whenIdle();

    expect(app.get(SeenTraces).traceIds).toEqual([publisherTraceId]);
    const spans = exporter.getFinishedSpans();
    const send = spans.find((s) => s.name === `send ${TOPICS.llmCall}`);
    const processSpan = spans.find((s) => s.name === `process ${TOPICS.llmCall}`);
    expect(send?.kind).toBe(SpanKind.PRODUCER);
    expect(processSpan?.kind).toBe(SpanKind.CONSUMER);
    expect(processSpan?.spanContext().traceId).toBe(publisherTraceId);
    expect(processSpan?.parentSpanContext?.spanId).toBe(send?.spanContext().spanId);
    expect(processSpan?.attributes).toMatchObject({
      'messaging.system': 'tollgate-in-process',
      'messaging.destination.name': TOPICS.llmCall,
      'messaging.consumer.group.name': 'cost-ledger',
      'messaging.message.id': event.id,
    });
  });
});

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

describe('TransportPublisher producer spans', () => {
  afterEach(() => exporter.reset());

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

  it('publishes in the context it is handed instead of the active one (an outbox publishing later)', async () => {
    const publisher = new CapturingPublisher();
    const unsampledRemote = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.NONE, isRemote: true });
    const call = trace.getTracer('spec').startSpan('chat m', {}, unsampledRemote);
    const sampled = trace.getTracer('spec').startSpan('another call');
    // Published while another call's span is active, for the call it belongs to.
    await context.with(trace.setSpan(ROOT_CONTEXT, sampled), () => publisher.publish(LlmCallV1, llmCallEvent(), { context: trace.setSpan(unsampledRemote, call) }));
    sampled.end();
    expect(publisher.sent[0].headers['traceparent']).toBe(`00-${TRACE_ID}-${call.spanContext().spanId}-00`);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['another call']);
  });

  it('starts a span for an event published outside any trace (it may be sampled as a root)', async () => {
    const publisher = new CapturingPublisher();
    await publisher.publish(LlmCallV1, llmCallEvent());
    const send = exporter.getFinishedSpans().find((s) => s.name === `send ${TOPICS.llmCall}`);
    expect(send).toBeDefined();
    expect(publisher.sent[0].headers['traceparent']).toBe(`00-${send?.spanContext().traceId}-${send?.spanContext().spanId}-01`);
  });

  it('a prepared event\'s span covers it until its batch is sent, ends once with the error when refused, and the resend carries the same context', async () => {
    const publisher = new CapturingPublisher();
    const sampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    const prepared = [publisher.prepare(LlmCallV1, llmCallEvent(), { context: sampled }), publisher.prepare(LlmCallV1, llmCallEvent(), { context: sampled })];
    expect(exporter.getFinishedSpans()).toEqual([]); // open while the events wait

    publisher.refuse = new Error('broker unavailable');
    await expect(publisher.sendPrepared(prepared)).rejects.toThrow('broker unavailable');
    const failed = exporter.getFinishedSpans();
    expect(failed.map((s) => [s.name, s.status.code, s.events.map((e) => e.name)])).toEqual([
      [`send ${TOPICS.llmCall}`, SpanStatusCode.ERROR, ['exception']],
      [`send ${TOPICS.llmCall}`, SpanStatusCode.ERROR, ['exception']],
    ]);

    publisher.refuse = undefined;
    const diagnostics: string[] = [];
    diag.setLogger({ error: (m) => diagnostics.push(m), warn: (m) => diagnostics.push(m), info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
    try {
      await publisher.sendPrepared(prepared);
    } finally {
      diag.disable();
    }
    expect(diagnostics).toEqual([]); // the SDK says so when end() is called on an ended span
    expect(publisher.sent.map((m) => m.headers['traceparent'])).toEqual(failed.map((s) => `00-${TRACE_ID}-${s.spanContext().spanId}-01`));
  });
  it('leaves out of a batch an event that cannot be serialised, ending its span with the error, and sends the rest; publish() of one rejects', async () => {
    const publisher = new CapturingPublisher();
    const sampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    const [first, last] = [llmCallEvent(), llmCallEvent()];
    // Not validated (as the gateway's outbox prepares), so nothing refuses the BigInt before JSON does.
    const poisoned = { ...llmCallEvent(), latencyMs: 10n } as unknown as typeof first;
    const prepared = [first, poisoned, last].map((event) => publisher.prepare(LlmCallV1, event, { context: sampled, validate: false }));
    await publisher.sendPrepared(prepared);
    expect(publisher.sent.map((m) => (JSON.parse(m.value) as { id: string }).id)).toEqual([first.id, last.id]);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.attributes['messaging.message.id'], s.status.code])).toEqual([
      [poisoned.id, SpanStatusCode.ERROR],
      [first.id, SpanStatusCode.UNSET],
      [last.id, SpanStatusCode.UNSET],
    ]);
    expect(spans[0].status.message).toMatch(/BigInt/);

    // Not sent again with the next batch either, nor counted again (an outbox resends refused batches whole).
    const counted = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await publisher.sendPrepared([prepared[1]]);
    expect(publisher.sent).toHaveLength(2);
    expect(counted).not.toHaveBeenCalled();
    counted.mockRestore();

    await expect(publisher.publish(LlmCallV1, poisoned, { validate: false })).rejects.toThrow(/BigInt/);
    expect(publisher.sent).toHaveLength(2);
  });
});
