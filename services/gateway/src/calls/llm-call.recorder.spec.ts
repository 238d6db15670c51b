import { ROOT_CONTEXT, SpanStatusCode, context, createContextKey, propagation, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator, W3CTraceContextPropagator, CompositePropagator } from '@opentelemetry/core';
import { TransportPublisher } from '@tollgate/messaging';
import type { OutgoingMessage } from '@tollgate/messaging';
import { MESSAGING_SYSTEM_VALUE_TOLLGATE_IN_PROCESS } from '@tollgate/telemetry';
import { expectEventually, llmCallEvent } from '@tollgate/testing';
import type { GatewayConfig } from '../config/gateway.config';
import { LlmCallRecorder } from './llm-call.recorder';

/**
 * A bus that can be switched off, recording the messages it accepted in order. A real
 * TransportPublisher: the recorder's prepare() and sendPrepared() are the production ones.
 */
class SwitchableBus extends TransportPublisher {
  protected readonly system = MESSAGING_SYSTEM_VALUE_TOLLGATE_IN_PROCESS;
  up = true;
  readonly messages: OutgoingMessage[] = [];
  refused = 0;
  readonly refusedAt: number[] = [];
  /** How many times the recorder handed over a batch. */
  handovers = 0;

  get accepted(): string[] {
    return this.messages.map((m) => (JSON.parse(m.value) as { callId: string }).callId);
  }

  protected async send(messages: readonly OutgoingMessage[]): Promise<void> {
    this.handovers += 1;
    await Promise.resolve();
    if (!this.up) {
      this.refused += 1;
      this.refusedAt.push(performance.now());
      throw new Error('broker unavailable');
    }
    this.messages.push(...messages);
  }

  protected closeTransport(): Promise<void> {
    return Promise.resolve();
  }
}

const config = (size: number): GatewayConfig => ({ TOLLGATE_EVENT_BUFFER_SIZE: size, TOLLGATE_EVENT_FLUSH_TIMEOUT_MS: 2000 }) as GatewayConfig;

describe('LlmCallRecorder', () => {
  it('hands events to the bus without making the caller wait', async () => {
    const bus = new SwitchableBus();
    const recorder = new LlmCallRecorder(bus, config(10));
    const event = llmCallEvent();
    recorder.record(event);
    expect(bus.accepted).toEqual([]); // nothing happened synchronously
    await recorder.whenDrained();
    expect(bus.accepted).toEqual([event.callId]);
  });

  it('sends each event in the trace context (span and baggage) of the call that recorded it, serialised when it was recorded', async () => {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
    try {
      const OTHER = createContextKey('something else the call had in its context');
      const bus = new SwitchableBus();
      bus.up = false; // nothing leaves until every call's context is gone
      const recorder = new LlmCallRecorder(bus, config(10));
      const events = [llmCallEvent(), llmCallEvent(), llmCallEvent()];
      const spanContexts = events.map((_, i) => ({ traceId: `${i + 1}`.padStart(32, '0'), spanId: `${i + 1}`.padStart(16, 'a'), traceFlags: 0 }));
      // Recorded from three calls' contexts, sent later from the drain loop (outside them).
      events.forEach((event, i) => {
        let callContext = trace.setSpanContext(ROOT_CONTEXT.setValue(OTHER, { big: 'x'.repeat(1000) }), spanContexts[i]);
        callContext = propagation.setBaggage(callContext, propagation.createBaggage({ tenant: { value: `t-${i}` } }));
        context.with(callContext, () => recorder.record(event));
      });
      // Serialised at record(): a change to the event object afterwards does not reach the bus.
      const recordedId = events[0].callId;
      (events[0] as { callId: string }).callId = 'changed after record()';
      await expectEventually(() => expect(bus.refused).toBeGreaterThan(0));
      bus.up = true;
      await recorder.whenDrained();
      expect(bus.accepted).toEqual([recordedId, events[1].callId, events[2].callId]);
      expect(bus.messages.map((m) => m.headers.traceparent)).toEqual(spanContexts.map((c) => `00-${c.traceId}-${c.spanId}-00`));
      expect(bus.messages.map((m) => m.headers.baggage)).toEqual(['tenant=t-0', 'tenant=t-1', 'tenant=t-2']);
    } finally {
      context.disable();
      propagation.disable();
    }
  });

  it('hands the bus what gathered while a batch was in flight as one batch', async () => {
    const bus = new SwitchableBus();
    const recorder = new LlmCallRecorder(bus, config(1000));
    const events = Array.from({ length: 20 }, () => llmCallEvent());
    events.forEach((e) => recorder.record(e)); // the first starts a drain; the other 19 wait for it
    await recorder.whenDrained();
    expect(bus.accepted).toEqual(events.map((e) => e.callId));
    expect(bus.handovers).toBe(2);
  });

  it('keeps events in order while the bus is down and delivers all of them when it returns', async () => {
    const bus = new SwitchableBus();
    bus.up = false;
    const recorder = new LlmCallRecorder(bus, config(1000));
    const events = Array.from({ length: 50 }, () => llmCallEvent());
    events.forEach((e) => recorder.record(e));
    await expectEventually(() => expect(bus.refused).toBeGreaterThan(0));
    expect(recorder.stats.buffered).toBe(50);
    bus.up = true;
    await expectEventually(() => expect(bus.accepted).toHaveLength(50), { timeoutMs: 10_000 });
    expect(bus.accepted).toEqual(events.map((e) => e.callId));
    expect(recorder.stats).toMatchObject({ buffered: 0, dropped: 0 });
  });

  it('backs off exponentially between retries while the bus stays down', async () => {
    const bus = new SwitchableBus();
    bus.up = false;
    const recorder = new LlmCallRecorder(bus, config(10));
    recorder.record(llmCallEvent());
    try {
      await expectEventually(() => expect(bus.refused).toBeGreaterThanOrEqual(5), { timeoutMs: 5_000 });
      // Retries after 100, 200, 400, 800 ms (timers never fire early; 2 ms for clock rounding).
      const gaps = bus.refusedAt.slice(1, 5).map((at, i) => at - bus.refusedAt[i]);
      gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(100 * 2 ** i - 2));
    } finally {
      bus.up = true;
      await recorder.beforeApplicationShutdown();
    }
    expect(bus.accepted).toHaveLength(1);
  });

  it('drops the oldest events beyond its bound and counts them', async () => {
    const bus = new SwitchableBus();
    bus.up = false;
    const recorder = new LlmCallRecorder(bus, config(5));
    const events = Array.from({ length: 8 }, () => llmCallEvent());
    events.forEach((e) => recorder.record(e));
    expect(recorder.stats).toMatchObject({ buffered: 5, dropped: 3 });
    bus.up = true;
    await expectEventually(() => expect(bus.accepted).toHaveLength(5), { timeoutMs: 10_000 });
    // The newest events survive, in order; the one already being sent when the bus failed is kept too.
    const indexes = bus.accepted.map((id) => events.findIndex((e) => e.callId === id));
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    expect(indexes.slice(-4)).toEqual([4, 5, 6, 7]);
  });

  it('ends the send span of a sampled call whose event it drops, with the reason', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    try {
      const bus = new SwitchableBus();
      bus.up = false;
      const recorder = new LlmCallRecorder(bus, config(2));
      const events = Array.from({ length: 4 }, () => llmCallEvent());
      // Outside any trace: the provider's default sampler samples each as a root, so each gets a send span.
      events.forEach((e) => recorder.record(e));
      // The first is being sent (kept); of the three waiting, the oldest is dropped to keep the bound of 2.
      expect(recorder.stats).toMatchObject({ buffered: 2, dropped: 2 });
      const ended = exporter.getFinishedSpans();
      try {
        expect(ended.map((s) => [s.status.code, s.status.message, s.attributes['messaging.message.id']])).toEqual([
          [SpanStatusCode.ERROR, 'dropped: the llm.call outbox was full', events[1].id],
          [SpanStatusCode.ERROR, 'dropped: the llm.call outbox was full', events[2].id],
        ]);
      } finally {
        bus.up = true;
        await recorder.beforeApplicationShutdown();
      }
    } finally {
      await provider.shutdown();
      trace.disable();
    }
  });

  it('flushes what is buffered when the application stops', async () => {
    const bus = new SwitchableBus();
    bus.up = false;
    const recorder = new LlmCallRecorder(bus, config(100));
    recorder.record(llmCallEvent());
    await expectEventually(() => expect(bus.refused).toBeGreaterThan(0));
    bus.up = true;
    await recorder.beforeApplicationShutdown();
    expect(bus.accepted).toHaveLength(1);
  });
});
