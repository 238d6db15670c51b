import { Controller, Injectable } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { LlmCallV1, TOPICS } from '@tollgate/contracts';
import type { EventOf } from '@tollgate/contracts';
import { ConsumeEvent, EVENT_PUBLISHER, InProcessBroker, MessagingModule, startEventConsumers } from './index';
import type { EventPublisher } from './index';
import { llmCallEvent } from '@tollgate/testing';
import { expectEventually } from '@tollgate/testing';

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
