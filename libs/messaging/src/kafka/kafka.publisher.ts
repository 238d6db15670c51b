import { ClientKafka } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { TransportPublisher } from '../event-publisher';
import type { OutgoingMessage } from '../event-publisher';
import type { KafkaTransportOptions } from '../messaging.options';
import { MESSAGING_SYSTEM_VALUE_KAFKA } from '@tollgate/telemetry';
import { kafkaProducerOptions, toKafkaMessage } from './kafka.config';

/**
 * Publishes through Nest's ClientKafka: emit() with a { key, value, headers } message is sent as
 * is, and its Observable completes once the broker acknowledged the write (acks=all).
 */
export class KafkaEventPublisher extends TransportPublisher {
  protected readonly system = MESSAGING_SYSTEM_VALUE_KAFKA;
  private readonly client: ClientKafka;

  constructor(transport: KafkaTransportOptions) {
    super();
    this.client = new ClientKafka(kafkaProducerOptions(transport));
  }

  /** Connects the producer at start-up, so that an unreachable cluster fails the boot, not the first call. */
  async connect(): Promise<void> {
    await this.client.connect();
  }

  protected async send(message: OutgoingMessage): Promise<void> {
    await lastValueFrom(this.client.emit(message.topic, toKafkaMessage(message)), { defaultValue: undefined });
  }

  protected async closeTransport(): Promise<void> {
    await this.client.close();
  }
}
