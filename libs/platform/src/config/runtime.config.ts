import { z } from 'zod';
import { DEFAULT_KAFKA_LINGER_MS } from '@tollgate/messaging';
import { ConfigError, env } from './load-config';

/**
 * Settings every Tollgate process shares: where it listens, where its data lives, which bus it
 * uses. Each service adds its own schema next to it.
 */
export const RuntimeEnvSchema = z.object({
  HOST: z.string().default('0.0.0.0'),
  /** Postgres for services that own data. Unset: an embedded server under TOLLGATE_DATA_DIR. */
  DATABASE_URL: env.url(['postgres', 'postgresql']).optional(),
  TOLLGATE_DATA_DIR: z.string().default('.tollgate'),
  DATABASE_POOL_SIZE: env.positiveInt(10),
  /** `in-process` only works when all services share one process (the all-in-one mode). */
  TOLLGATE_BUS: z.enum(['in-process', 'kafka'], { error: 'must be in-process or kafka' }).optional(),
  KAFKA_BROKERS: env.csv().optional(),
  KAFKA_CLIENT_ID: z.string().default('tollgate'),
  KAFKA_SSL: env.bool(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512'], { error: 'must be plain, scram-sha-256 or scram-sha-512' }).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  /**
   * How long a published event may wait for others to share its Produce request (Kafka's linger.ms).
   * 100 ms: kafkajs' cost is mostly per Produce request, not per event. In bench:gateway 5 ms left
   * kafkajs at 12% of the gateway's CPU per call and 20 ms at 8.5%; 100 ms saved another 21 µs per
   * call (±8, ~5%) against 20 ms at 1,000 calls/s, alternating in one process (docs/benchmarks.md,
   * sixteenth session). Events reach consumers that much later. 0 sends every event loop turn.
   */
  KAFKA_LINGER_MS: env.nonNegativeInt(DEFAULT_KAFKA_LINGER_MS),
  /** Largest request body accepted, in bytes (413 beyond it). */
  TOLLGATE_MAX_BODY_BYTES: env.positiveInt(4 * 1024 * 1024),
  /**
   * How long an idle keep-alive connection stays open, in ms (Node's default is 5 s). Longer than
   * the idle timeout of what sits in front (65 s over the 60 s of an AWS ALB or ingress-nginx's
   * upstream keep-alive), so that the server never closes a connection the proxy is about to reuse
   * (which the client would see as a 502), and clients do not reconnect after every pause.
   */
  TOLLGATE_HTTP_KEEP_ALIVE_TIMEOUT_MS: env.positiveInt(65_000),
  /** How long a stopping process waits for in-flight requests and consumers. */
  TOLLGATE_SHUTDOWN_TIMEOUT_MS: env.positiveInt(10_000),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose'], { error: 'must be error, warn, log, debug or verbose' }).default('log'),
});

export type RuntimeEnv = z.infer<typeof RuntimeEnvSchema>;

export type BusSettings =
  | { kind: 'in-process' }
  | {
      kind: 'kafka';
      brokers: string[];
      clientId: string;
      ssl: boolean;
      lingerMs: number;
      sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
    };

/** Which bus to use: explicit TOLLGATE_BUS, else Kafka when brokers are given, else the default. */
export function busSettings(runtime: RuntimeEnv, fallback: 'in-process' | 'kafka'): BusSettings {
  const kind = runtime.TOLLGATE_BUS ?? (runtime.KAFKA_BROKERS ? 'kafka' : fallback);
  if (kind === 'in-process') return { kind };
  const problems: string[] = [];
  if (!runtime.KAFKA_BROKERS) problems.push('KAFKA_BROKERS: required when the bus is kafka (not set)');
  if (runtime.KAFKA_SASL_MECHANISM && (!runtime.KAFKA_SASL_USERNAME || !runtime.KAFKA_SASL_PASSWORD)) {
    problems.push('KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD: required when KAFKA_SASL_MECHANISM is set (not set)');
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    kind,
    brokers: runtime.KAFKA_BROKERS ?? [],
    clientId: runtime.KAFKA_CLIENT_ID,
    ssl: runtime.KAFKA_SSL,
    lingerMs: runtime.KAFKA_LINGER_MS,
    sasl: runtime.KAFKA_SASL_MECHANISM
      ? { mechanism: runtime.KAFKA_SASL_MECHANISM, username: runtime.KAFKA_SASL_USERNAME ?? '', password: runtime.KAFKA_SASL_PASSWORD ?? '' }
      : undefined,
  };
}
