export interface InProcessTransportOptions {
  kind: 'in-process';
}

/** Consumer group timings (kafkajs defaults when unset: 30 s session, 60 s rebalance, 3 s heartbeat). */
export interface KafkaConsumerTuning {
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

/** Kafka producer linger (ms) when none is given: see KafkaTransportOptions.lingerMs and KAFKA_LINGER_MS. */
export const DEFAULT_KAFKA_LINGER_MS = 100;

export interface KafkaTransportOptions {
  kind: 'kafka';
  brokers: string[];
  clientId: string;
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  consumer?: KafkaConsumerTuning;
  /**
   * How long a published message may wait for others to share its Produce request (Kafka's
   * linger.ms; the Java client's default is 5 ms since Kafka 4.0). Default DEFAULT_KAFKA_LINGER_MS (KAFKA_LINGER_MS,
   * see RuntimeEnvSchema); 0 sends each tick.
   */
  lingerMs?: number;
}

export interface RetryOptions {
  /** Handler runs per message, the first included, before it is dead-lettered. Default 3. */
  attempts?: number;
  /** Delay before the first retry; doubles per retry, with jitter. Default 50. */
  initialDelayMs?: number;
  /** Upper bound of one retry delay. Default 2000. */
  maxDelayMs?: number;
}

export interface MessagingOptions {
  transport: InProcessTransportOptions | KafkaTransportOptions;
  retry?: RetryOptions;
}

export type RetryPolicy = Readonly<Required<RetryOptions>>;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, initialDelayMs: 50, maxDelayMs: 2000 };

/** Fills in defaults and rejects nonsense at start-up rather than on the first failing message. */
export function resolveRetryPolicy(retry: RetryOptions = {}): RetryPolicy {
  const policy = {
    attempts: retry.attempts ?? DEFAULT_RETRY.attempts,
    initialDelayMs: retry.initialDelayMs ?? DEFAULT_RETRY.initialDelayMs,
    maxDelayMs: retry.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
  };
  const problems: string[] = [];
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) problems.push(`retry.attempts must be a whole number >= 1 (got ${policy.attempts})`);
  if (!Number.isFinite(policy.initialDelayMs) || policy.initialDelayMs < 0) problems.push(`retry.initialDelayMs must be >= 0 (got ${policy.initialDelayMs})`);
  if (!Number.isFinite(policy.maxDelayMs) || policy.maxDelayMs < policy.initialDelayMs) {
    problems.push(`retry.maxDelayMs must be >= retry.initialDelayMs (got ${policy.maxDelayMs})`);
  }
  if (problems.length) throw new Error(`invalid messaging options: ${problems.join('; ')}`);
  return policy;
}
