import type { KafkaOptions } from '@nestjs/microservices';
import type { ConsumerConfig, IHeaders, KafkaConfig, Message } from '@nestjs/microservices/external/kafka.interface';
import { contractForTopic } from '@tollgate/contracts';
import type { EventRoute } from '../event-routes';
import type { OutgoingMessage } from '../event-publisher';
import { CONSUMER_GROUP_PREFIX } from '../messaging.constants';
import type { KafkaConsumerTuning, KafkaTransportOptions } from '../messaging.options';
import { patchKafkajsEncoder } from './kafkajs-encoder';
import { patchKafkajsIdleLoop } from './kafkajs-idle-loop';
import { installKafkajsPartitionGrouping, MemoizedDefaultPartitioner } from './kafkajs-partitioner';
import { installKafkajsProduceEncoder } from './kafkajs-produce';

type NestKafkaOptions = Required<KafkaOptions>['options'];

/** kafkajs client settings from Tollgate's options (TLS and SASL only when asked for). */
export function kafkaClientConfig(transport: KafkaTransportOptions): KafkaConfig {
  // Every kafkajs client of Tollgate's is made from these settings: fix its idle timer loop, its
  // allocation-heavy encoder, its layered Produce encoding and its quadratic grouping of messages
  // by partition first (before any connection).
  patchKafkajsIdleLoop();
  patchKafkajsEncoder();
  installKafkajsProduceEncoder();
  installKafkajsPartitionGrouping();
  const config: KafkaConfig = { clientId: transport.clientId, brokers: transport.brokers, ssl: transport.ssl ?? false };
  if (transport.sasl) {
    const { mechanism, username, password } = transport.sasl;
    // Spelled out per mechanism: kafkajs' SASL type is a union discriminated by `mechanism`.
    config.sasl = mechanism === 'plain' ? { mechanism, username, password } : mechanism === 'scram-sha-256' ? { mechanism, username, password } : { mechanism, username, password };
  }
  return config;
}

/**
 * ClientKafka options for the publisher: producer only (no reply consumer), idempotent with
 * acks=all so a retried send is neither lost nor duplicated. One request in flight per
 * connection is what idempotence needs to keep per-partition order across retries (KIP-98).
 */
export function kafkaProducerOptions(transport: KafkaTransportOptions): NestKafkaOptions {
  return {
    client: kafkaClientConfig(transport),
    postfixId: '-producer',
    producerOnlyMode: true,
    // Named explicitly: the murmur2 partitioner Java clients use (kafkajs 2's default, asked once per
    // key), and naming one silences the "switched default partitioner" warning every process printed.
    producer: { idempotent: true, maxInFlightRequests: 1, createPartitioner: MemoizedDefaultPartitioner },
    send: { acks: -1 },
  };
}

/** ServerKafka options for the consumers (group ids are set per consumer, see planKafkaConsumers). */
export function kafkaServerOptions(transport: KafkaTransportOptions): NestKafkaOptions {
  return { client: kafkaClientConfig(transport), postfixId: '-consumer' };
}

/**
 * kafkajs consumer settings for one group. A Fetch long-polls up to maxWaitTimeInMs, and kafkajs'
 * disconnect() waits for the poll in flight: at kafkajs' default (5 s) every stop and every
 * rolling restart of an idle service took five seconds. One second keeps stops quick at the cost
 * of one empty Fetch per partition leader per second when idle. Group timings stay kafkajs'
 * unless `tuning` sets them.
 */
export function kafkaConsumerConfig(groupId: string, tuning: KafkaConsumerTuning = {}): ConsumerConfig {
  const config: ConsumerConfig = { groupId, maxWaitTimeInMs: 1_000 };
  if (tuning.sessionTimeoutMs !== undefined) config.sessionTimeout = tuning.sessionTimeoutMs;
  if (tuning.rebalanceTimeoutMs !== undefined) config.rebalanceTimeout = tuning.rebalanceTimeoutMs;
  if (tuning.heartbeatIntervalMs !== undefined) config.heartbeatInterval = tuning.heartbeatIntervalMs;
  return config;
}

/** The kafkajs message for an outgoing Tollgate message (Nest's KafkaRequestSerializer keeps key and headers). */
export function toKafkaMessage(message: OutgoingMessage): Message {
  return { key: message.key, value: message.value, headers: { ...message.headers } };
}

/** kafkajs headers as strings; of a repeated header the last value counts. */
export function decodeKafkaHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) decoded[name] = Buffer.isBuffer(value) ? value.toString('utf8') : value;
  }
  return decoded;
}

/** One kafkajs consumer: a group id and the routes it serves, by topic. */
export interface KafkaConsumerPlan {
  groupId: string;
  routes: Map<string, EventRoute>;
}

/**
 * Which consumers to run for the app's routes. A group shares `tollgate.<group>` across replicas
 * for ordinary topics (each message handled once per group); for compacted topics each instance
 * gets its own group `tollgate.<group>.<instanceId>` so that every replica reads the whole state.
 * All groups start from the earliest retained offset when new: consumers are idempotent, and
 * starting at the end would silently skip what was published before the group first joined.
 */
export function planKafkaConsumers(routes: readonly EventRoute[], instanceId: string): KafkaConsumerPlan[] {
  const plans = new Map<string, KafkaConsumerPlan>();
  for (const route of routes) {
    const compacted = contractForTopic(route.topic)?.compacted ?? false;
    const groupId = `${CONSUMER_GROUP_PREFIX}${route.group}${compacted ? `.${instanceId.toLowerCase()}` : ''}`;
    let plan = plans.get(groupId);
    if (!plan) plans.set(groupId, (plan = { groupId, routes: new Map() }));
    plan.routes.set(route.topic, route);
  }
  return [...plans.values()];
}
