import { ClientKafka } from '@nestjs/microservices';
import type { Message } from '@nestjs/microservices/external/kafka.interface';
import { TransportPublisher } from '../event-publisher';
import type { OutgoingMessage } from '../event-publisher';
import { DEFAULT_KAFKA_LINGER_MS } from '../messaging.options';
import type { KafkaTransportOptions } from '../messaging.options';
import { MESSAGING_SYSTEM_VALUE_KAFKA } from '@tollgate/telemetry';
import { kafkaProducerOptions, toKafkaMessage } from './kafka.config';

/** Most messages in one Produce request. */
const MAX_BATCH = 1000;

/** Messages handed over together (one publish, or an outbox's batch), settled together. */
interface PendingSend {
  messages: readonly OutgoingMessage[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Publishes through Nest's ClientKafka's kafkajs producer (idempotent, acks=all). Messages are
 * coalesced: a batch leaves when its oldest message has waited lingerMs since it was prepared (an
 * outbox's events count from when they were recorded, not from when the outbox handed them over:
 * counted from the hand-over, a batch of the gateway's outbox waited its linger twice and the
 * outbox, which hands over one batch at a time, fell behind at ~2,400 events/s, bench:gateway at
 * 3,000 calls/s, docs/benchmarks.md, nineteenth session), one Produce request at a
 * time (idempotence allows one per connection); each publish resolves once the broker
 * acknowledged the request that carried it; messages handed over together (sendPrepared) share one
 * promise. One Produce per message cost the gateway ~9% of its CPU at 1,000 calls/s in
 * bench:gateway and capped it at one round trip per event; kafkajs has no linger setting of its
 * own, so this small queue stands in for one.
 */
export class KafkaEventPublisher extends TransportPublisher {
  protected readonly system = MESSAGING_SYSTEM_VALUE_KAFKA;
  private readonly client: ClientKafka;

  private readonly lingerMs: number;

  constructor(transport: KafkaTransportOptions) {
    super();
    this.lingerMs = transport.lingerMs ?? DEFAULT_KAFKA_LINGER_MS;
    this.client = new ClientKafka(kafkaProducerOptions(transport));
  }

  /** Connects the producer at start-up, so that an unreachable cluster fails the boot, not the first call. */
  async connect(): Promise<void> {
    await this.client.connect();
  }

  private pending: PendingSend[] = [];
  /** When the oldest pending message was prepared (performance.now()): published, or recorded by an outbox. */
  private oldestPendingAt = 0;
  private flushing: Promise<void> | undefined;

  protected send(messages: readonly OutgoingMessage[], waitingSince: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.pending.length === 0 || waitingSince < this.oldestPendingAt) this.oldestPendingAt = waitingSince;
      this.pending.push({ messages, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /**
   * Sends the pending messages a batch at a time, each batch once its oldest message has waited
   * lingerMs (Kafka's linger.ms), also when it gathered while the previous batch was in flight
   * (sent the moment that one was acknowledged, a batch under load held only what one broker round
   * trip let gather).
   */
  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const wait = this.oldestPendingAt + this.lingerMs - performance.now();
        if (this.lingerMs === 0) await new Promise<void>((started) => setImmediate(started));
        else if (wait > 0) await new Promise<void>((started) => setTimeout(started, wait));
        // What stays pending past MAX_BATCH messages has waited long enough: it leaves right after
        // this batch. A group is never split (an outbox hands over at most a few hundred at once).
        let count = this.pending[0].messages.length;
        let groups = 1;
        while (groups < this.pending.length && count + this.pending[groups].messages.length <= MAX_BATCH) count += this.pending[groups++].messages.length;
        const batch = this.pending.splice(0, groups);
        const byTopic = new Map<string, Message[]>();
        for (const group of batch) {
          for (const message of group.messages) {
            let messages = byTopic.get(message.topic);
            if (!messages) byTopic.set(message.topic, (messages = []));
            messages.push(toKafkaMessage(message));
          }
        }
        try {
          // connect() returns the connected producer (cached), or connects again after a failure.
          const producer = await this.client.connect();
          await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
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
    await this.client.close();
  }
}
