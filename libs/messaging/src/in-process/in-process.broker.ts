import { Logger } from '@nestjs/common';
import { contractForTopic } from '@tollgate/contracts';
import type { InboundMessage } from '../deliver';
import { KeyedScheduler } from '../keyed-scheduler';
import type { MessageOrdering } from '../keyed-scheduler';

/** A message on the in-process bus: bytes, like on Kafka, so both transports decode the same way. */
export interface BrokerMessage extends InboundMessage {
  value: Buffer;
}

export type MessageSink = (message: BrokerMessage) => Promise<unknown>;

/** One consumer group's view of one topic: its own queue, drained up to `concurrency` messages at a time. */
export interface BrokerSubscription {
  readonly topic: string;
  readonly group: string;
  /** Begins delivery (subscriptions start paused, so nothing runs before the app is initialised). */
  start(): void;
  /** Stops delivery and forgets what was queued (messages in flight finish). */
  unsubscribe(): void;
}

export interface SubscribeOptions {
  /**
   * Messages handed to the sink at once (default 1: one after another). Messages of one key
   * still go one after another, in publish order; keyless messages may overlap.
   */
  concurrency?: number;
  /** 'key' (default) as above; 'none': messages of one key may overlap too (still `concurrency` at most). */
  ordering?: MessageOrdering;
}

class GroupQueue implements BrokerSubscription {
  readonly scheduler: KeyedScheduler<BrokerMessage>;
  scheduled = false;
  started = false;
  closed = false;

  constructor(
    readonly topic: string,
    readonly group: string,
    sink: MessageSink,
    options: SubscribeOptions,
    private readonly broker: InProcessBroker,
  ) {
    this.scheduler = new KeyedScheduler<BrokerMessage>(options.concurrency ?? 1, async (message) => void (await sink(message)), (message) => message.key, {
      ordering: options.ordering,
      onError: (error, message) => broker.reportUndeliverable(this, message, error),
      onSettled: () => broker.settled(),
    });
  }

  get idle(): boolean {
    return this.closed || !this.started || this.scheduler.idle;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.broker.schedule(this);
  }

  unsubscribe(): void {
    this.broker.remove(this);
  }
}

/**
 * The bus of the all-in-one mode: one per process (one per MessagingModule), shared through DI
 * by the publisher and the in-process server.
 *
 * - Every (topic, group) subscription has its own FIFO queue, so one group's slow or failing
 *   handler neither delays nor repeats another group's delivery. It is drained one message at a
 *   time by default (every message in publish order), or up to `concurrency` at a time, in which
 *   case a message waits while an earlier one of its key is in flight: each key's messages still
 *   arrive one after another in publish order (unless the subscription asks for ordering 'none').
 * - publish() only enqueues; delivery starts on a later turn of the event loop (setImmediate), so
 *   a publisher on a hot path never runs handlers itself.
 * - Compacted topics keep the latest message per key and replay them to a subscription created
 *   later, like a Kafka consumer reading a compacted topic from the beginning. Other topics keep
 *   nothing once delivered.
 */
export class InProcessBroker {
  private readonly logger = new Logger('InProcessBroker');
  private readonly subscriptions = new Map<string, GroupQueue>();
  private readonly retained = new Map<string, Map<string, BrokerMessage>>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly isCompacted: (topic: string) => boolean = (topic) => contractForTopic(topic)?.compacted ?? false) {}

  publish(message: BrokerMessage): void {
    if (message.key !== null && this.isCompacted(message.topic)) {
      let latest = this.retained.get(message.topic);
      if (!latest) this.retained.set(message.topic, (latest = new Map()));
      // Delete first so that iteration order follows the latest write, like a compacted log.
      latest.delete(message.key);
      latest.set(message.key, message);
    }
    for (const subscription of this.subscriptions.values()) {
      if (subscription.topic !== message.topic) continue;
      subscription.scheduler.enqueue(message);
      this.schedule(subscription);
    }
  }

  /** Subscribes a group to a topic, paused until start(); a compacted topic's retained messages come first. */
  subscribe(topic: string, group: string, sink: MessageSink, options: SubscribeOptions = {}): BrokerSubscription {
    const id = `${topic}\u0000${group}`;
    if (this.subscriptions.has(id)) throw new Error(`group "${group}" is already subscribed to ${topic} on this in-process bus`);
    const subscription = new GroupQueue(topic, group, sink, options, this);
    for (const message of this.retained.get(topic)?.values() ?? []) subscription.scheduler.enqueue(message);
    this.subscriptions.set(id, subscription);
    return subscription;
  }

  /** Resolves once the given subscriptions (default: all) have nothing queued or in flight. */
  whenIdle(subscriptions?: readonly BrokerSubscription[]): Promise<void> {
    const isIdle = (): boolean => (subscriptions ?? [...this.subscriptions.values()]).every((s) => (s as GroupQueue).idle);
    if (isIdle()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (isIdle()) resolve();
        else this.idleWaiters.push(check);
      };
      this.idleWaiters.push(check);
    });
  }

  /** The latest message per key of a compacted topic (for diagnostics and tests). */
  retainedMessages(topic: string): BrokerMessage[] {
    return [...(this.retained.get(topic)?.values() ?? [])];
  }

  /** @internal Starts delivery on a later turn of the event loop, never on the publisher's. */
  schedule(subscription: GroupQueue): void {
    if (!subscription.started || subscription.closed || subscription.scheduled) return;
    subscription.scheduled = true;
    setImmediate(() => {
      subscription.scheduled = false;
      if (!subscription.closed) subscription.scheduler.pump();
    });
  }

  /** @internal */
  remove(subscription: GroupQueue): void {
    subscription.closed = true;
    subscription.scheduler.clear();
    const id = `${subscription.topic}\u0000${subscription.group}`;
    if (this.subscriptions.get(id) === subscription) this.subscriptions.delete(id);
    this.notifyIdleWaiters();
  }

  /** @internal A message finished (handled, dead-lettered or failed). */
  settled(): void {
    if (this.idleWaiters.length) this.notifyIdleWaiters();
  }

  /** @internal The sink rejected: it already retried and tried to dead-letter. */
  reportUndeliverable(subscription: GroupQueue, message: BrokerMessage, error: unknown): void {
    // In memory there is no offset to rewind, so the failure is reported here rather than swallowed.
    this.logger.error(
      `could not deliver nor dead-letter a ${message.topic} message (key ${message.key ?? 'none'}) for group ${subscription.group}: ${error instanceof Error ? error.message : String(error)}; value (base64): ${message.value.toString('base64')}`,
    );
  }

  private notifyIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const check of waiters) check();
  }
}
