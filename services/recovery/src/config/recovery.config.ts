import { z } from 'zod';
import { RuntimeEnvSchema, env, loadConfig } from '@tollgate/platform';

/** Recovery's own settings: none yet; its issue adds them here. */
export const RecoveryEnvSchema = z.looseObject({});

export const RecoveryServiceEnvSchema = RuntimeEnvSchema.extend({ PORT: env.port(8085) }).extend(RecoveryEnvSchema.shape);

export type RecoveryConfig = z.infer<typeof RecoveryEnvSchema>;
export type RecoveryServiceEnv = z.infer<typeof RecoveryServiceEnvSchema>;

export function loadRecoveryEnv(source: NodeJS.ProcessEnv = process.env): RecoveryServiceEnv {
  return loadConfig(RecoveryServiceEnvSchema, source);
}
