import type { KafkaOptions } from '@nestjs/microservices';
import type { ConsumerConfig, IHeaders } from '@nestjs/microservices/external/kafka.interface';
import { contractForTopic } from '@tollgate/contracts';
import type { EventRoute } from '../event-routes';
import { CONSUMER_GROUP_PREFIX } from '../messaging.constants';
import type { KafkaConsumerTuning, KafkaTransportOptions } from '../messaging.options';
import { kafkaClientConfig } from './kafka.client-config';

type NestKafkaOptions = Required<KafkaOptions>['options'];

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
