import { z } from 'zod';
import { API_KEY_PATTERN, RuntimeEnvSchema, env, loadConfig } from '@tollgate/platform';

export const GuardrailsEnvSchema = z.object({
  /** Plaintext key for the bootstrap tenant. Unset: one is generated at first start and printed once. */
  TOLLGATE_BOOTSTRAP_KEY: z.string().regex(API_KEY_PATTERN, 'must look like tg- followed by at least 20 letters, digits, - or _').optional(),
  TOLLGATE_BOOTSTRAP_TENANT: z.string().min(1).max(200).default('default'),
});

export const GuardrailsServiceEnvSchema = RuntimeEnvSchema.extend({ PORT: env.port(8081) }).extend(GuardrailsEnvSchema.shape);

export type GuardrailsConfig = z.infer<typeof GuardrailsEnvSchema>;
export type GuardrailsServiceEnv = z.infer<typeof GuardrailsServiceEnvSchema>;

export const GUARDRAILS_CONFIG = Symbol('GUARDRAILS_CONFIG');

export function loadGuardrailsEnv(source: NodeJS.ProcessEnv = process.env): GuardrailsServiceEnv {
  return loadConfig(GuardrailsServiceEnvSchema, source);
}
