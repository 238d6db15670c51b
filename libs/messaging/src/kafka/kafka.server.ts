import { Logger } from '@nestjs/common';
import { ServerKafka } from '@nestjs/microservices';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import type { Consumer, EachMessagePayload } from '@nestjs/microservices/external/kafka.interface';
import { deliver } from '../deliver';
import type { DeliveryRuntime } from '../deliver';
import { collectEventRoutes } from '../event-routes';
import type { EventServer } from '../event-server';
import type { KafkaTransportOptions } from '../messaging.options';
import { decodeKafkaHeaders, kafkaConsumerConfig, kafkaServerOptions, planKafkaConsumers } from './kafka.config';
import type { KafkaConsumerPlan } from './kafka.config';

interface RunningConsumer {
  plan: KafkaConsumerPlan;
  consumer: Consumer;
}

/**
 * ServerKafka with one kafkajs consumer per consumer group instead of one for the whole app:
 * in the all-in-one mode on Kafka, several services' groups read the same topic in one process.
 * Nest's client creation (kafkajs loading, logging) and handler registry are reused; messages go
 * through the shared deliver() instead of ServerKafka's request/reply handling.
 */
export class KafkaEventServer extends ServerKafka implements CustomTransportStrategy, EventServer {
  protected override logger = new Logger('KafkaEventServer');
  private consumers: RunningConsumer[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    transport: KafkaTransportOptions,
    private readonly runtime: DeliveryRuntime,
    private readonly instanceId: string,
  ) {
    super(kafkaServerOptions(transport));
  }

  /** Connects and subscribes a consumer per group; consuming starts with startDelivering(). */
  override async start(callback: () => void): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('KafkaEventServer: no kafkajs client (start() runs from listen())');
    const plans = planKafkaConsumers(collectEventRoutes(this.getHandlers(), this.logger), this.instanceId);
    try {
      for (const plan of plans) {
        const consumer = client.consumer(kafkaConsumerConfig(plan.groupId));
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
      await consumer.run({ eachMessage: (payload) => this.handleEachMessage(plan, payload) });
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
    const { message } = payload;
    await deliver(
      { topic: payload.topic, key: message.key ? message.key.toString('utf8') : null, value: message.value, headers: decodeKafkaHeaders(message.headers) },
      route,
      this.runtime,
      { beforeRetry: () => payload.heartbeat() },
    );
  }
}
