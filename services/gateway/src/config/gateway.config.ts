import { z } from 'zod';
import { RuntimeEnvSchema, env, loadConfig } from '@tollgate/platform';
import { RoutingEnvSchema } from '../routing/routing.config';

export const GatewayEnvSchema = z.object({
  /** Delay the mock provider adds to every answer, to imitate a remote model (benchmarks, demos). */
  TOLLGATE_MOCK_LATENCY_MS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').max(600_000, 'must be at most 600000').default(0),
  /** How long one provider call may take before it is abandoned. */
  TOLLGATE_PROVIDER_TIMEOUT_MS: env.positiveInt(120_000),
  /** llm.call events kept while the bus is unavailable; beyond it the oldest are dropped and counted. */
  TOLLGATE_EVENT_BUFFER_SIZE: env.positiveInt(100_000),
  /** How long a stopping gateway tries to hand buffered events to the bus. */
  TOLLGATE_EVENT_FLUSH_TIMEOUT_MS: env.positiveInt(5_000),
  /**
   * Budget counters shared by every gateway replica (hard limits hold across replicas). Unset: the
   * counters live in this process's memory, right for one gateway process (the all-in-one mode).
   */
  REDIS_URL: env.url(['redis', 'rediss']).optional(),
  /**
   * When the budget counters (Redis) cannot be reached: `open` (default) admits calls without a
   * counter check, still refusing budgets the ledger reports over their hard limit, and logs an
   * error and counts `tollgate.budget.unavailable`; `closed` refuses them with 503 budget_unavailable.
   */
  TOLLGATE_BUDGET_FAIL_MODE: z.enum(['open', 'closed'], { error: 'must be open or closed' }).default('open'),
  /** Output tokens a budget reservation assumes for a request without max_tokens when the price catalog gives no max output for the model. */
  TOLLGATE_BUDGET_DEFAULT_MAX_OUTPUT_TOKENS: env.positiveInt(4096),
  ...RoutingEnvSchema.shape,
  /** The request body limit (shared with the framework's body parser), read by the chat fast path. */
  ...RuntimeEnvSchema.pick({ TOLLGATE_MAX_BODY_BYTES: true }).shape,
});

export const GatewayServiceEnvSchema = RuntimeEnvSchema.extend({ PORT: env.port(8080) }).extend(GatewayEnvSchema.shape);

export type GatewayConfig = z.infer<typeof GatewayEnvSchema>;
export type GatewayServiceEnv = z.infer<typeof GatewayServiceEnvSchema>;

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

export function loadGatewayEnv(source: NodeJS.ProcessEnv = process.env): GatewayServiceEnv {
  return loadConfig(GatewayServiceEnvSchema, source);
}
