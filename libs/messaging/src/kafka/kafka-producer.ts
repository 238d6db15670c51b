import { ClientKafka } from '@nestjs/microservices';
import type { KafkaTransportOptions } from '../messaging.options';
import { kafkaProducerOptions } from './kafka.config';
import type { TopicBatch } from './kafka-producer.protocol';

/** What KafkaEventPublisher sends its batches through: a producer in this thread or in a thread of its own. */
export interface BatchProducer {
  /** Connects (an unreachable cluster rejects). */
  connect(): Promise<void>;
  /** One Produce request with acks=all; resolves once the broker acknowledged it. */
  sendBatch(batches: TopicBatch[]): Promise<void>;
  close(): Promise<void>;
}

/** Nest's ClientKafka's kafkajs producer (idempotent, acks=all), in the calling thread. */
export class InThreadKafkaProducer implements BatchProducer {
  private readonly client: ClientKafka;

  constructor(transport: KafkaTransportOptions) {
    this.client = new ClientKafka(kafkaProducerOptions(transport));
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  async sendBatch(batches: TopicBatch[]): Promise<void> {
    // connect() returns the connected producer (cached), or connects again after a failure.
    const producer = await this.client.connect();
    await producer.sendBatch({ acks: -1, topicMessages: batches });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
