import { z } from 'zod';

/**
 * One upstream endpoint Tollgate may route to: a provider, a model there, where it runs and how
 * much it costs. Secrets are referenced by the NAME of the environment variable (a Kubernetes
 * secret mounted as env) holding them, never written into the deployment list itself.
 */
export const DeploymentSchema = z.strictObject({
  /** Unique id, e.g. `openai-gpt-4o-us`; appears in events, spans and breaker state. */
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be lowercase letters, digits, ".", "_" or "-", at most 64'),
  provider: z.enum(['openai', 'azure-openai', 'anthropic', 'openai-compatible', 'mock']),
  /** The model clients ask for, as `provider/model` or an alias; several deployments may share it. */
  publicModel: z.string().min(1).max(256),
  /** The upstream's own model name (for Azure: the deployment name). */
  model: z.string().min(1).max(256),
  baseUrl: z.url().optional(),
  /** Name of the environment variable holding the upstream API key. */
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
  /** Azure OpenAI `api-version`. */
  apiVersion: z.string().optional(),
  /** Where the deployment processes data; EU-residency tenants are only ever served by `eu`. */
  region: z.enum(['us', 'eu', 'global']),
  priceTier: z.enum(['economy', 'standard', 'premium']).default('standard'),
  weight: z.number().int().min(0).max(1000).default(1),
  contextWindow: z.number().int().positive().default(128_000),
  supportsEmbeddings: z.boolean().default(false),
  timeoutMs: z.number().int().positive().max(600_000).default(60_000),
  /** Mock-only behaviour: latency and injected faults, for demos, tests and benchmarks. */
  mock: z
    .strictObject({
      latencyMs: z.number().int().min(0).default(0),
      /** Delay between streamed chunks. */
      chunkDelayMs: z.number().int().min(0).default(0),
      /** Every call fails with this HTTP status (e.g. 429, 500, 503). */
      failStatus: z.number().int().min(400).max(599).optional(),
      /** Retry-After seconds sent with failStatus. */
      retryAfterSeconds: z.number().min(0).optional(),
      /** Never answers (the gateway's timeout fires). */
      hang: z.boolean().default(false),
      /** Streams this many chunks, then cuts the connection. */
      cutStreamAfterChunks: z.number().int().min(0).optional(),
    })
    .optional(),
});

export type Deployment = z.infer<typeof DeploymentSchema>;
export type DeploymentInput = z.input<typeof DeploymentSchema>;
