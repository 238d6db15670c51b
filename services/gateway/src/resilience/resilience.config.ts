import { z } from 'zod';
import { ConfigError, env } from '@tollgate/platform';

/**
 * Environment variables of inline recovery (retries, fallback, circuit breakers). Keys ARE the
 * variable names; routing's RoutingEnvSchema includes them, and loadRoutingConfig reads them.
 */
export const ResilienceEnvSchema = z.object({
  /** Consecutive provider failures (5xx, timeouts, connection errors, cut streams) that open a deployment's breaker. */
  TOLLGATE_BREAKER_FAILURES: env.positiveInt(5),
  /** How long an open breaker rejects calls before one probe call may try the deployment again. */
  TOLLGATE_BREAKER_HALF_OPEN_AFTER_MS: env.positiveInt(30_000),
  /** Tries per deployment (1 = no retry) before falling back to the next deployment. */
  TOLLGATE_RETRY_ATTEMPTS_PER_DEPLOYMENT: env.positiveInt(2),
  /** Tries per call across every deployment: bounds the worst-case latency of a failing call. */
  TOLLGATE_RETRY_MAX_TOTAL_ATTEMPTS: env.positiveInt(6),
  /** First backoff step; each retry doubles it, with full jitter (a random wait in [0, step)). */
  TOLLGATE_RETRY_BASE_MS: env.positiveInt(100),
  /** Cap of one backoff step. */
  TOLLGATE_RETRY_MAX_MS: env.positiveInt(2_000),
  /** A provider's Retry-After up to this is waited for; a longer one moves to the next deployment at once. */
  TOLLGATE_RETRY_AFTER_MAX_MS: env.positiveInt(5_000),
});

export type ResilienceEnv = z.infer<typeof ResilienceEnvSchema>;

export interface ResilienceConfig {
  breaker: {
    failureThreshold: number;
    halfOpenAfterMs: number;
  };
  retry: {
    attemptsPerDeployment: number;
    maxTotalAttempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
    maxRetryAfterMs: number;
  };
}

/** Builds the typed config from already-validated variables; throws ConfigError for bad combinations. */
export function resilienceConfigFromEnv(parsed: ResilienceEnv): ResilienceConfig {
  if (parsed.TOLLGATE_RETRY_BASE_MS > parsed.TOLLGATE_RETRY_MAX_MS) {
    throw new ConfigError([
      `TOLLGATE_RETRY_BASE_MS: must not exceed TOLLGATE_RETRY_MAX_MS (${parsed.TOLLGATE_RETRY_BASE_MS} > ${parsed.TOLLGATE_RETRY_MAX_MS})`,
    ]);
  }
  return {
    breaker: {
      failureThreshold: parsed.TOLLGATE_BREAKER_FAILURES,
      halfOpenAfterMs: parsed.TOLLGATE_BREAKER_HALF_OPEN_AFTER_MS,
    },
    retry: {
      attemptsPerDeployment: parsed.TOLLGATE_RETRY_ATTEMPTS_PER_DEPLOYMENT,
      maxTotalAttempts: parsed.TOLLGATE_RETRY_MAX_TOTAL_ATTEMPTS,
      baseDelayMs: parsed.TOLLGATE_RETRY_BASE_MS,
      maxDelayMs: parsed.TOLLGATE_RETRY_MAX_MS,
      maxRetryAfterMs: parsed.TOLLGATE_RETRY_AFTER_MAX_MS,
    },
  };
}

export const RESILIENCE_CONFIG = Symbol('RESILIENCE_CONFIG');
