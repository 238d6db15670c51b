import { TransportPublisher } from '../event-publisher';
import type { OutgoingMessage } from '../event-publisher';
import { DEFAULT_KAFKA_LINGER_MS } from '../messaging.options';
import type { KafkaTransportOptions } from '../messaging.options';
import { MESSAGING_SYSTEM_VALUE_KAFKA } from '@tollgate/telemetry';
import { KafkaProducerThread } from './kafka-producer.thread';
import type { ProducerChannel } from './kafka-producer.thread';

interface PendingSend {
  message: OutgoingMessage;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Publishes through a kafkajs idempotent producer (acks=all) that runs in a thread of its own
 * (KafkaProducerThread). Messages are coalesced: a message waits up to lingerMs for others, and
 * while one batch is in flight (idempotence allows one Produce per connection) the messages
 * published meanwhile wait and leave together in the next one; each publish resolves once the
 * broker acknowledged the request that carried it. One Produce per message cost the gateway ~9%
 * of its CPU at 1,000 calls/s in bench:gateway and capped it at one round trip per event; kafkajs
 * has no linger setting of its own, so this small queue stands in for one.
 */
export class KafkaEventPublisher extends TransportPublisher {
  protected readonly system = MESSAGING_SYSTEM_VALUE_KAFKA;
  private readonly lingerMs: number;
  private readonly producer: ProducerChannel;
  private pending: PendingSend[] = [];
  private flushing: Promise<void> | undefined;

  constructor(transport: KafkaTransportOptions, producer: ProducerChannel = new KafkaProducerThread(transport)) {
    super();
    this.lingerMs = transport.lingerMs ?? DEFAULT_KAFKA_LINGER_MS;
    this.producer = producer;
  }

  /** Connects the producer at start-up, so that an unreachable cluster fails the boot, not the first call. */
  async connect(): Promise<void> {
    await this.producer.connect();
  }

  protected send(message: OutgoingMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ message, resolve, reject });
      // Let the messages of the next lingerMs join, unless a flush is already running (it loops).
      if (!this.flushing) this.flushing = new Promise<void>((started) => (this.lingerMs > 0 ? setTimeout(started, this.lingerMs) : setImmediate(started))).then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, 1000);
        try {
          // The producer connects again after a failure (a broker that went away), before sending.
          await this.producer.send(batch.map((pending) => pending.message));
          for (const pending of batch) pending.resolve();
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  protected async closeTransport(): Promise<void> {
    await this.producer.close();
  }
}
