import { z } from 'zod';
import { RuntimeEnvSchema, env, loadConfig } from '@tollgate/platform';

/** Similarity's own settings: none yet; its issue adds them here. */
export const SimilarityEnvSchema = z.looseObject({});

export const SimilarityServiceEnvSchema = RuntimeEnvSchema.extend({ PORT: env.port(8083) }).extend(SimilarityEnvSchema.shape);

export type SimilarityConfig = z.infer<typeof SimilarityEnvSchema>;
export type SimilarityServiceEnv = z.infer<typeof SimilarityServiceEnvSchema>;

export function loadSimilarityEnv(source: NodeJS.ProcessEnv = process.env): SimilarityServiceEnv {
  return loadConfig(SimilarityServiceEnvSchema, source);
}
