import { Logger } from '@nestjs/common';
import { ServerKafka } from '@nestjs/microservices';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import type { Consumer, EachBatchPayload, EachMessagePayload, KafkaMessage } from '@nestjs/microservices/external/kafka.interface';
import { deliver } from '../deliver';
import type { DeliveryRuntime, InboundMessage } from '../deliver';
import { collectEventRoutes } from '../event-routes';
import type { ProviderLookup } from '../event-routes';
import { KeyedScheduler } from '../keyed-scheduler';
import type { EventServer } from '../event-server';
import type { KafkaConsumerTuning, KafkaTransportOptions } from '../messaging.options';
import { decodeKafkaHeaders, kafkaConsumerConfig, kafkaServerOptions, planKafkaConsumers } from './kafka.config';
import type { KafkaConsumerPlan } from './kafka.config';

interface RunningConsumer {
  plan: KafkaConsumerPlan;
  consumer: Consumer;
}

/** One message of a batch, as the route's scheduler runs it. */
interface ScheduledMessage {
  key: string | null;
  run(): Promise<void>;
}

/**
 * While a batch is being handled: how often to heartbeat (kafkajs sends one only once its
 * heartbeatInterval has passed) and to commit the finished prefix (at most every
 * COMMIT_INTERVAL_MS), so a long batch neither loses the group nor redelivers much after a crash.
 */
const HOUSEKEEPING_INTERVAL_MS = 500;
const COMMIT_INTERVAL_MS = 1_000;

function toInbound(topic: string, message: KafkaMessage): InboundMessage {
  return { topic, key: message.key ? message.key.toString('utf8') : null, value: message.value, headers: decodeKafkaHeaders(message.headers) };
}

/**
 * ServerKafka with one kafkajs consumer per consumer group instead of one for the whole app:
 * in the all-in-one mode on Kafka, several services' groups read the same topic in one process.
 * Nest's client creation (kafkajs loading, logging) and handler registry are reused; messages go
 * through the shared deliver() instead of ServerKafka's request/reply handling.
 *
 * A consumer whose routes all have concurrency 1 runs kafkajs `eachMessage` (one message at a
 * time). Otherwise it runs `eachBatch` without auto-resolve: each route has a KeyedScheduler that
 * keeps at most `concurrency` messages in deliver() (across the partitions the consumer handles at
 * once), one key's messages one after another (with ordering 'none', side by side too); a batch
 * resolves only the contiguous prefix of finished messages, so the committed offset never passes
 * a message still in flight (whatever the ordering), and it stops
 * taking messages when kafkajs says the consumer is stopping or the partition was moved.
 */
export class KafkaEventServer extends ServerKafka implements CustomTransportStrategy, EventServer {
  protected override logger = new Logger('KafkaEventServer');
  private consumers: RunningConsumer[] = [];
  private stopping: Promise<void> | undefined;
  private readonly consumerTuning: KafkaConsumerTuning | undefined;

  constructor(
    transport: KafkaTransportOptions,
    private readonly runtime: DeliveryRuntime,
    private readonly instanceId: string,
    private readonly lookup?: ProviderLookup,
  ) {
    super(kafkaServerOptions(transport));
    this.consumerTuning = transport.consumer;
  }

  /** Connects and subscribes a consumer per group; consuming starts with startDelivering(). */
  override async start(callback: () => void): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('KafkaEventServer: no kafkajs client (start() runs from listen())');
    const plans = planKafkaConsumers(collectEventRoutes(this.getHandlers(), this.logger, this.lookup), this.instanceId);
    try {
      for (const plan of plans) {
        const consumer = client.consumer(kafkaConsumerConfig(plan.groupId, this.consumerTuning));
        this.consumers.push({ plan, consumer });
        consumer.on(consumer.events.CRASH, (event) => this.logger.error(`consumer ${plan.groupId} crashed: ${String(event.payload.error)}`));
        await consumer.connect();
        await consumer.subscribe({ topics: [...plan.routes.keys()], fromBeginning: true });
      }
    } catch (error) {
      await this.stopDelivering();
      throw error;
    }
    callback();
  }

  async startDelivering(): Promise<void> {
    for (const { plan, consumer } of this.consumers) {
      const concurrency = Math.max(...[...plan.routes.values()].map((route) => route.concurrency));
      if (concurrency <= 1) {
        await consumer.run({ eachMessage: (payload) => this.handleEachMessage(plan, payload) });
        continue;
      }
      const schedulers = new Map<string, KeyedScheduler<ScheduledMessage>>();
      for (const [topic, route] of plan.routes) {
        schedulers.set(topic, new KeyedScheduler<ScheduledMessage>(route.concurrency, (message) => message.run(), (message) => message.key, { ordering: route.ordering }));
      }
      await consumer.run({
        eachBatchAutoResolve: false,
        // Batches of several partitions share each route's scheduler, so its limit holds across them.
        partitionsConsumedConcurrently: concurrency,
        autoCommitInterval: COMMIT_INTERVAL_MS,
        eachBatch: (payload) => this.handleBatch(plan, schedulers, payload),
      });
    }
  }

  /** kafkajs' disconnect() waits for the eachMessage in progress before leaving the group. */
  stopDelivering(): Promise<void> {
    this.stopping ??= (async () => {
      const consumers = this.consumers;
      this.consumers = [];
      await Promise.all(consumers.map(({ consumer }) => consumer.disconnect()));
    })();
    return this.stopping;
  }

  override async close(): Promise<void> {
    await this.stopDelivering();
    await super.close();
  }

  /** A throw here (dead-lettering failed) reaches kafkajs, which does not commit and redelivers. */
  private async handleEachMessage(plan: KafkaConsumerPlan, payload: EachMessagePayload): Promise<void> {
    const route = plan.routes.get(payload.topic);
    if (!route) return;
    await deliver(toInbound(payload.topic, payload.message), route, this.runtime, { beforeRetry: () => payload.heartbeat() });
  }

  /**
   * Hands a batch's messages to the route's scheduler and resolves, as they finish, the longest
   * run of finished messages from the batch's start. Once kafkajs stops the consumer, moves the
   * partition (isStale), a heartbeat or commit fails (a rebalance), or a delivery rejects
   * (dead-lettering failed), messages not started yet are left alone; those in flight finish;
   * then the error, if any, goes to kafkajs, which commits what was resolved and fetches again
   * from the first unresolved message.
   */
  private async handleBatch(plan: KafkaConsumerPlan, schedulers: ReadonlyMap<string, KeyedScheduler<ScheduledMessage>>, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const route = plan.routes.get(batch.topic);
    const scheduler = schedulers.get(batch.topic);
    const messages = batch.messages;
    if (!route || !scheduler || messages.length === 0) return;

    const finished = new Array<boolean>(messages.length).fill(false);
    let prefix = 0;
    let failure: { error: unknown } | undefined;
    const fail = (error: unknown): void => void (failure ??= { error });
    const stopping = (): boolean => failure !== undefined || !payload.isRunning() || payload.isStale();

    let housekeeping: Promise<void> | undefined;
    const keepAlive = (): Promise<void> =>
      (housekeeping ??= (async () => {
        try {
          await payload.heartbeat();
          await payload.commitOffsetsIfNecessary();
        } catch (error) {
          fail(error);
        } finally {
          housekeeping = undefined;
        }
      })());
    const timer = setInterval(() => void keepAlive(), HOUSEKEEPING_INTERVAL_MS);

    let unsettled = messages.length;
    let allSettled: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (allSettled = resolve));
    messages.forEach((message, index) => {
      scheduler.enqueue({
        key: message.key ? message.key.toString('utf8') : null,
        run: async () => {
          try {
            if (stopping()) return;
            await deliver(toInbound(batch.topic, message), route, this.runtime, { beforeRetry: keepAlive });
            finished[index] = true;
            const before = prefix;
            while (prefix < messages.length && finished[prefix]) prefix += 1;
            if (prefix > before) payload.resolveOffset(messages[prefix - 1].offset);
          } catch (error) {
            fail(error);
          } finally {
            if (--unsettled === 0) allSettled();
          }
        },
      });
    });
    scheduler.pump();
    try {
      await settled;
    } finally {
      clearInterval(timer);
      await housekeeping;
    }
    if (failure) throw failure.error;
  }
}
