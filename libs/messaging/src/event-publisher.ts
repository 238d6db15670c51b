import { Logger } from '@nestjs/common';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { assertEvent } from '@tollgate/contracts';
import type { EventContract, EventOf } from '@tollgate/contracts';
import { HEADER_EVENT_TYPE, HEADER_EVENT_VERSION } from './messaging.constants';
import { ATTR_MESSAGING_DESTINATION_NAME, ATTR_MESSAGING_MESSAGE_ID, ATTR_MESSAGING_OPERATION_TYPE, ATTR_MESSAGING_SYSTEM, isUnsampledLocalSpan, tollgateMeter } from '@tollgate/telemetry';
import { TRACER_NAME } from './messaging.constants';
import type { MessagingSystem } from '@tollgate/telemetry';

export interface PublishOptions {
  /**
   * Validate against the contract before sending (default true). A hot-path producer may skip it:
   * every consumer validates on delivery anyway (deliver() dead-letters what fails, with the
   * reason), so a bad event is kept on the DLQ instead of refused here. For the gateway's
   * `llm.call` the producer-side check was ~4% of the CPU and 15% of the allocations per call
   * (bench:gateway profiles).
   */
  validate?: boolean;
  /**
   * The trace context the event belongs to (default: the active one), for a caller that
   * publishes or prepares outside the call's own context.
   */
  context?: Context;
}

export interface EventPublisher {
  /**
   * Validates the event against its contract (rejects with EventValidationError, sending nothing,
   * when it does not conform; unless `options.validate` is false), keys it by tenant, carries the
   * active trace context in its headers, and resolves once the transport has accepted it.
   */
  publish<C extends EventContract>(contract: C, event: EventOf<C>, options?: PublishOptions): Promise<void>;
  /**
   * For an outbox: does now, synchronously, what publish() does before sending that needs the
   * call's context (validation unless told not to, trace headers, and for a sampled trace its
   * `send` producer span), so that what waits for the bus is the event and its message, not the
   * event's context. (Kept for each event until the broker acknowledged it, the call's whole active
   * context made the gateway's young-generation collections about four times longer at 3,000
   * calls/s: docs/benchmarks.md, twelfth session.) The event is serialised later, by sendPrepared(),
   * one batch in one loop: ~8 µs of the gateway's CPU per call less than one event at a time at the
   * end of each call (docs/benchmarks.md, nineteenth session). So the event must not change after
   * this. Throws EventValidationError like publish() rejects.
   */
  prepare<C extends EventContract>(contract: C, event: EventOf<C>, options?: PublishOptions): PreparedEvent;
  /**
   * Serialises prepared events and sends them, in order, and resolves once the transport accepted
   * all of them. On a rejection none of them counts as sent (some may have been: Kafka's delivery
   * is at least once, and consumers are idempotent by event id), so the caller may send them all
   * again. Ends their producer spans (with the error, on a rejection). An event that cannot be
   * serialised (JSON.stringify throws: a cycle, a BigInt) is left out of this and every later send:
   * it is logged, counted in `tollgate.events.unserializable` and its span ended with the error, so
   * that it cannot hold back the events queued behind it.
   */
  sendPrepared(events: readonly PreparedEvent[]): Promise<void>;
}

/** An event made ready to send by prepare(): its message, and its producer span while one is open. */
export interface PreparedEvent {
  /** Its `value` is serialised when first read (sendPrepared() reads it). */
  readonly message: OutgoingMessage;
  /** The `send` span of a sampled trace, until sendPrepared() ends it; undefined otherwise. */
  span: Span | undefined;
  /** When it was prepared (performance.now()): a transport that lingers counts its wait from here. */
  readonly preparedAt: number;
}

/** A message as both transports send it: the key, JSON text, and string headers. */
export interface OutgoingMessage {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * A message whose value is the event's JSON, made when first read (and kept; the event is let go
 * then). Throws what JSON.stringify throws, each time it is read until it succeeds.
 */
class PreparedMessage implements OutgoingMessage {
  private json: string | undefined;

  constructor(
    readonly topic: string,
    readonly key: string,
    private event: unknown,
    readonly headers: Record<string, string>,
  ) {}

  get value(): string {
    if (this.json === undefined) {
      this.json = JSON.stringify(this.event);
      this.event = undefined;
    }
    return this.json;
  }
}

/**
 * Builds the message for an event: validates it (throws EventValidationError) unless told not to,
 * keys it by tenant and injects the trace context of `ctx` into the headers. Its value (the
 * event's JSON) is made when first read.
 */
export function buildOutgoingMessage<C extends EventContract>(contract: C, event: EventOf<C>, ctx: Context = context.active(), validate = true): OutgoingMessage {
  const valid = (validate ? assertEvent(contract, event) : event) as { tenantId: string };
  const headers: Record<string, string> = {};
  propagation.inject(ctx, headers);
  headers[HEADER_EVENT_TYPE] = contract.type;
  headers[HEADER_EVENT_VERSION] = String(contract.version);
  return new PreparedMessage(contract.topic, valid.tenantId, valid, headers);
}

/** Serialises the message's value (once): undefined when it is JSON text, else the error. */
function serialise(message: OutgoingMessage): { error: unknown } | undefined {
  try {
    return typeof message.value === 'string' ? undefined : { error: new TypeError('the event did not serialise to JSON text') };
  } catch (error) {
    return { error };
  }
}

const unserializableEvents = tollgateMeter.counter('tollgate.events.unserializable', { description: 'Prepared events left out of a send because they cannot be serialised to JSON.' });
const publisherLogger = new Logger('EventPublisher');

/** Messages already counted and logged as unserializable: an outbox that resends a refused batch hands them over again. */
const reportedUnserializable = new WeakSet<OutgoingMessage>();

/** An event that cannot be serialised: its span ends with the error, and it is counted and logged once (sendPrepared() then sends the others). */
function leaveOut(prepared: PreparedEvent, error: unknown): void {
  failPreparedSpan(prepared, error);
  if (reportedUnserializable.has(prepared.message)) return;
  reportedUnserializable.add(prepared.message);
  const { topic, key } = prepared.message;
  unserializableEvents.add(1, { [ATTR_MESSAGING_DESTINATION_NAME]: topic });
  publisherLogger.error(`left out an event for ${topic} (key ${key}) that cannot be serialised to JSON: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * What both transports' publishers share: the `send {topic}` producer span, validation, and a
 * close() that waits for sends in flight before the transport lets go of its connection.
 */
export abstract class TransportPublisher implements EventPublisher {
  protected abstract readonly system: MessagingSystem;
  /**
   * Sends not yet settled, and what close() waits on. A count, not a Set of the promises: the
   * gateway publishes an event per call, and the Set's table was reallocated as sends came and
   * went: 14% of the bytes that outlived a young-generation collection at 1,000 calls/s
   * (bench:gateway heap profile, docs/benchmarks.md, eleventh session).
   */
  private sending = 0;
  private readonly idleWaiters: Array<() => void> = [];
  private closed = false;

  /**
   * Hands messages to the transport, in order; resolves once it accepted all of them. A transport
   * that sends batches (Kafka) takes them as one: one promise per batch, not per message.
   * `waitingSince` is when the oldest of them was prepared (performance.now()): a transport that
   * lingers counts from there, so that what already waited in an outbox does not wait again.
   */
  protected abstract send(messages: readonly OutgoingMessage[], waitingSince: number): Promise<void>;

  /** Releases the transport after the last send settled. */
  protected abstract closeTransport(): Promise<void>;

  async publish<C extends EventContract>(contract: C, event: EventOf<C>, options: PublishOptions = {}): Promise<void> {
    // Checked before prepare(): a closed publisher starts no span.
    this.assertOpen(contract.topic);
    const prepared = this.prepare(contract, event, options);
    // Serialised here, so that an event JSON cannot express rejects this publish.
    const failure = serialise(prepared.message);
    if (failure) {
      failPreparedSpan(prepared, failure.error);
      throw failure.error;
    }
    await this.deliver([prepared]);
  }

  prepare<C extends EventContract>(contract: C, event: EventOf<C>, options: PublishOptions = {}): PreparedEvent {
    const preparedAt = performance.now();
    const parent = options.context ?? context.active();
    const validate = options.validate ?? true;
    if (isUnsampledLocalSpan(trace.getSpan(parent))) {
      // An unsampled call (most: see otel.samplerArg in helm/tollgate/values.yaml) gets no
      // producer span. The sampler already dropped this trace here, and would drop the child too
      // (parent-based sampling follows the parent, trace-id-ratio decides the same for the same
      // trace id); starting one only gave the message a fresh span id, at ~3 µs per event. The
      // message carries the call's own context.
      return { message: buildOutgoingMessage(contract, event, parent, validate), span: undefined, preparedAt };
    }
    const span = trace.getTracer(TRACER_NAME).startSpan(
      `send ${contract.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR_MESSAGING_SYSTEM]: this.system,
          [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
          [ATTR_MESSAGING_DESTINATION_NAME]: contract.topic,
        },
      },
      parent,
    );
    let message: OutgoingMessage;
    try {
      message = buildOutgoingMessage(contract, event, trace.setSpan(parent, span), validate);
    } catch (error) {
      failSpan(span, error);
      throw error;
    }
    span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, (event as { id: string }).id);
    return { message, span, preparedAt };
  }

  async sendPrepared(events: readonly PreparedEvent[]): Promise<void> {
    this.assertOpen(events[0]?.message.topic ?? 'the bus');
    const sendable: PreparedEvent[] = [];
    for (const prepared of events) {
      const failure = serialise(prepared.message);
      if (failure) leaveOut(prepared, failure.error);
      else sendable.push(prepared);
    }
    if (sendable.length === 0) return;
    await this.deliver(sendable);
  }

  /** Sends prepared events of an open publisher and ends their spans (with the error if the send failed). */
  private async deliver(events: readonly PreparedEvent[]): Promise<void> {
    try {
      let waitingSince = events[0].preparedAt;
      for (const prepared of events) if (prepared.preparedAt < waitingSince) waitingSince = prepared.preparedAt;
      await this.track(
        this.send(
          events.map((e) => e.message),
          waitingSince,
        ),
      );
    } catch (error) {
      for (const prepared of events) failPreparedSpan(prepared, error);
      throw error;
    }
    for (const prepared of events) endPreparedSpan(prepared);
  }

  private assertOpen(topic: string): void {
    if (this.closed) throw new Error(`cannot publish to ${topic}: the event publisher is closed (the application is shutting down)`);
  }

  /** Waits for a send, counting it among those close() waits for meanwhile. */
  private async track(sending: Promise<void>): Promise<void> {
    this.sending += 1;
    try {
      await sending;
    } finally {
      this.sending -= 1;
      if (this.sending === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** Refuses new events, waits for the ones in flight, then closes the transport. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sending > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.closeTransport();
  }
}

/** Ends a prepared event's producer span, if it still has one open. */
function endPreparedSpan(prepared: PreparedEvent): void {
  prepared.span?.end();
  prepared.span = undefined;
}

/**
 * Ends a prepared event's producer span, if it still has one open, with `error`: its send failed,
 * or its outbox gave it up. Once: a resend of the same event does not end it again.
 */
export function failPreparedSpan(prepared: PreparedEvent, error: unknown): void {
  if (prepared.span === undefined) return;
  failSpan(prepared.span, error);
  prepared.span = undefined;
}

/** Ends a producer span whose send failed, with the error. */
function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}
