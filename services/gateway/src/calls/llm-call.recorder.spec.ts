import { ROOT_CONTEXT, context, createContextKey, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { EventContract } from '@tollgate/contracts';
import type { EventPublisher, PublishOptions } from '@tollgate/messaging';
import { expectEventually, llmCallEvent } from '@tollgate/testing';
import type { GatewayConfig } from '../config/gateway.config';
import { LlmCallRecorder } from './llm-call.recorder';

/** A bus that can be switched off, recording what it accepted in order. */
class SwitchableBus implements EventPublisher {
  up = true;
  readonly accepted: string[] = [];
  refused = 0;
  readonly refusedAt: number[] = [];
  readonly options: PublishOptions[] = [];

  async publish<C extends EventContract>(_contract: C, event: unknown, options: PublishOptions = {}): Promise<void> {
    this.options.push(options);
    await Promise.resolve();
    if (!this.up) {
      this.refused += 1;
      this.refusedAt.push(performance.now());
      throw new Error('broker unavailable');
    }
    this.accepted.push((event as { callId: string }).callId);
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

  it('publishes each event in the trace context (span and baggage) of the call that recorded it, and keeps nothing else of that context', async () => {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    try {
      const OTHER = createContextKey('something else the call had in its context');
      const bus = new SwitchableBus();
      const recorder = new LlmCallRecorder(bus, config(10));
      const events = [llmCallEvent(), llmCallEvent(), llmCallEvent()];
      const spanContexts = events.map((_, i) => ({ traceId: `${i + 1}`.padStart(32, '0'), spanId: `${i + 1}`.padStart(16, 'a'), traceFlags: i % 2 }));
      // Recorded from three calls' contexts, published later from the drain loop (outside them).
      events.forEach((event, i) => {
        let callContext = trace.setSpanContext(ROOT_CONTEXT.setValue(OTHER, { big: 'x'.repeat(1000) }), spanContexts[i]);
        callContext = propagation.setBaggage(callContext, propagation.createBaggage({ tenant: { value: `t-${i}` } }));
        context.with(callContext, () => recorder.record(event));
      });
      await recorder.whenDrained();
      expect(bus.accepted).toEqual(events.map((e) => e.callId));
      expect(bus.options.map((o) => trace.getSpanContext(o.context!))).toEqual(spanContexts);
      expect(bus.options.map((o) => propagation.getBaggage(o.context!)?.getEntry('tenant')?.value)).toEqual(['t-0', 't-1', 't-2']);
      expect(bus.options.map((o) => o.context?.getValue(OTHER))).toEqual([undefined, undefined, undefined]);
    } finally {
      context.disable();
    }
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
