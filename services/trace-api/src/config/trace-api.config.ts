import { z } from 'zod';
import { RuntimeEnvSchema, env, loadConfig } from '@tollgate/platform';

/** TraceApi's own settings: none yet; its issue adds them here. */
export const TraceApiEnvSchema = z.looseObject({});

export const TraceApiServiceEnvSchema = RuntimeEnvSchema.extend({ PORT: env.port(8084) }).extend(TraceApiEnvSchema.shape);

export type TraceApiConfig = z.infer<typeof TraceApiEnvSchema>;
export type TraceApiServiceEnv = z.infer<typeof TraceApiServiceEnvSchema>;

export function loadTraceApiEnv(source: NodeJS.ProcessEnv = process.env): TraceApiServiceEnv {
  return loadConfig(TraceApiServiceEnvSchema, source);
}
