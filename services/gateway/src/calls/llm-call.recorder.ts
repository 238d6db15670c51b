import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import { LlmCallV1 } from '@tollgate/contracts';
import type { EventOf } from '@tollgate/contracts';
import { EVENT_PUBLISHER, failPreparedSpan } from '@tollgate/messaging';
import type { EventPublisher, PreparedEvent } from '@tollgate/messaging';
import { tollgateMeter } from '@tollgate/telemetry';
import { GATEWAY_CONFIG } from '../config/gateway.config';
import type { GatewayConfig } from '../config/gateway.config';

type LlmCall = EventOf<typeof LlmCallV1>;

const dropped = tollgateMeter.counter('tollgate.events.dropped', { description: 'llm.call events dropped because the outbox buffer was full.' });
const buffered = tollgateMeter.gauge('tollgate.events.buffered', { description: 'llm.call events waiting to be handed to the bus.' });
const publishFailures = tollgateMeter.counter('tollgate.events.publish_failures', { description: 'Failed attempts to hand llm.call events to the bus (they are retried).' });
/** Why a dropped event's span ended. */
const OUTBOX_FULL = new Error('dropped: the llm.call outbox was full');

/**
 * The gateway's outbox for `llm.call` events. `record()` prepares the message (trace headers) and
 * enqueues it, so a response never waits on the bus; a drain loop hands the queue to
 * the publisher a batch at a time and, while the bus is down, keeps messages (in order) up to a
 * bound, retrying with backoff. Past the bound the OLDEST events are dropped, counted in
 * `tollgate.events.dropped` and logged: never lost silently.
 *
 * What waits for the bus is each event and its message, not the call's context (its trace
 * headers are taken when it is recorded) and not one promise per event. Each event is serialised
 * once, when its batch is handed to the publisher (sendPrepared(), one loop per batch): ~8 µs of
 * CPU per call less than at the end of each call (docs/benchmarks.md, nineteenth session). Before
 * the fourteenth session the queue kept the event and its whole trace context until the previous
 * batch was acknowledged, and published with a promise per event.
 */
@Injectable()
export class LlmCallRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('LlmCallRecorder');
  private readonly queue: PreparedEvent[] = [];
  private draining = false;
  /** Events taken off the queue and being published right now. */
  private inFlight = 0;
  private failures = 0;
  private droppedTotal = 0;
  private lastDropLog = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Delay before the next retry while the bus refuses events: doubles per failure (100 ms to 5 s), reset by a success. */
  private backoffMs = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /**
   * Enqueues the call's event, prepared in the active (the call's) trace context (prepare()'s
   * default), so that the consumers' spans join the caller's trace. Not validated
   * (PublishOptions.validate): the event is built from typed, checked facts, its consumers validate
   * on delivery and dead-letter what fails, and a refusal here would have no better place to go.
   */
  record(event: LlmCall): void {
    this.queue.push(this.publisher.prepare(LlmCallV1, event, { validate: false }));
    this.enforceBound();
    buffered.record(this.queue.length + this.inFlight);
    if (!this.draining && !this.retryTimer) void this.drain();
  }

  /** Drops the oldest events that are not being sent right now, down to the bound. */
  private enforceBound(): void {
    const excess = this.queue.length + this.inFlight - this.config.TOLLGATE_EVENT_BUFFER_SIZE;
    if (excess <= 0) return;
    // A sampled call's `send` span ends here, as the trace's record that its event was dropped.
    for (const lost of this.queue.splice(0, Math.min(excess, this.queue.length))) failPreparedSpan(lost, OUTBOX_FULL);
    this.droppedTotal += excess;
    dropped.add(excess);
    const now = Date.now();
    // One log line a second at most: a dead bus under load must not flood the logs too.
    if (now - this.lastDropLog > 1000) {
      this.lastDropLog = now;
      this.logger.error(`event buffer full (${this.config.TOLLGATE_EVENT_BUFFER_SIZE}): dropped the oldest llm.call event(s); ${this.droppedTotal} dropped so far`);
    }
  }

  /** Resolves once every recorded event has been handed to the bus (tests, shutdown). */
  whenDrained(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0 && !this.draining) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get stats(): { buffered: number; dropped: number; publishFailures: number } {
    return { buffered: this.queue.length + this.inFlight, dropped: this.droppedTotal, publishFailures: this.failures };
  }

  // Before the publisher closes (it closes in onApplicationShutdown).
  async beforeApplicationShutdown(): Promise<void> {
    if (this.queue.length === 0) return;
    this.logger.log(`handing ${this.queue.length} buffered llm.call event(s) to the bus before stopping`);
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      void this.drain();
    }
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.config.TOLLGATE_EVENT_FLUSH_TIMEOUT_MS).unref());
    if ((await Promise.race([this.whenDrained(), timeout])) === 'timeout') {
      this.logger.error(`stopping with ${this.queue.length} llm.call event(s) not delivered: the bus did not accept them in time`);
    }
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, 256);
        this.inFlight = batch.length;
        let failure: { reason: unknown } | undefined;
        try {
          await this.publisher.sendPrepared(batch);
        } catch (reason) {
          failure = { reason };
        }
        this.inFlight = 0;
        if (failure) {
          // The whole batch goes back to the head, in order (the bus takes a batch or not), so
          // nothing is lost and per-tenant order holds once the bus is back.
          this.queue.unshift(...batch);
          this.enforceBound();
          buffered.record(this.queue.length);
          this.failures += batch.length;
          publishFailures.add(batch.length);
          const { reason } = failure;
          this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 100), 5000);
          this.logger.warn(`bus refused ${batch.length} llm.call event(s) (${reason instanceof Error ? reason.message : String(reason)}); ${this.queue.length} buffered, retrying in ${this.backoffMs} ms`);
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            void this.drain();
          }, this.backoffMs);
          return;
        }
        buffered.record(this.queue.length);
        this.backoffMs = 0;
      }
    } finally {
      this.draining = false;
      if (this.queue.length === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
    }
  }
}
