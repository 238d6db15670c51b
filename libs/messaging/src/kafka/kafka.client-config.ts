import { Partitioners } from 'kafkajs';
import type { KafkaConfig, Message, ProducerConfig } from 'kafkajs';
import type { OutgoingMessage } from '../event-publisher';
import type { KafkaTransportOptions } from '../messaging.options';
import { patchKafkajsIdleLoop } from './kafkajs-idle-loop';

// kafkajs settings shared by the consumers (main thread) and the producer thread
// (kafka-producer.worker.ts): this module loads nothing but kafkajs, so the thread stays small.

/** kafkajs client settings from Tollgate's options (TLS and SASL only when asked for). */
export function kafkaClientConfig(transport: KafkaTransportOptions): KafkaConfig {
  // Every kafkajs client of Tollgate's is made from these settings: fix its idle timer loop first.
  patchKafkajsIdleLoop();
  const config: KafkaConfig = { clientId: transport.clientId, brokers: transport.brokers, ssl: transport.ssl ?? false };
  if (transport.sasl) {
    const { mechanism, username, password } = transport.sasl;
    // Spelled out per mechanism: kafkajs' SASL type is a union discriminated by `mechanism`.
    config.sasl = mechanism === 'plain' ? { mechanism, username, password } : mechanism === 'scram-sha-256' ? { mechanism, username, password } : { mechanism, username, password };
  }
  return config;
}

/**
 * The producer: idempotent (sent with acks=all, see KAFKA_PRODUCE_ACKS) so a retried send is
 * neither lost nor duplicated. One request in flight per connection is what idempotence needs to
 * keep per-partition order across retries (KIP-98).
 */
export function kafkaProducerConfig(): ProducerConfig {
  // The murmur2 partitioner Java clients use (kafkajs 2's default); naming it silences the
  // "switched default partitioner" warning every process printed at start.
  return { idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner };
}

/** acks=all: a Produce is acknowledged once every in-sync replica has the records. */
export const KAFKA_PRODUCE_ACKS = -1;

/** The kafkajs message for an outgoing Tollgate message. */
export function toKafkaMessage(message: OutgoingMessage): Message {
  return { key: message.key, value: message.value, headers: { ...message.headers } };
}
