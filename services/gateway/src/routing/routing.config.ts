import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, env } from '@tollgate/platform';
import { DeploymentSchema } from '@tollgate/providers';
import type { Deployment } from '@tollgate/providers';
import { ResilienceEnvSchema, resilienceConfigFromEnv } from '../resilience';
import type { ResilienceConfig } from '../resilience';
import { DEFAULT_DEPLOYMENTS, DEFAULT_MODEL_ALIASES } from './default-deployments';

export type RoutingStrategy = 'weighted' | 'least-latency';

export interface RoutingConfig {
  deployments: readonly Deployment[];
  /** Alias → public models, in order of preference. */
  aliases: Readonly<Record<string, readonly string[]>>;
  strategy: RoutingStrategy;
  /** Prompts above this many tokens try the longest-context deployments first. */
  longContextThresholdTokens: number;
  /** Where the deployments came from, for logs and GET /api/v1/gateway/routes. */
  deploymentsSource: 'TOLLGATE_DEPLOYMENTS' | 'TOLLGATE_DEPLOYMENTS_FILE' | 'built-in defaults';
  resilience: ResilienceConfig;
}

export const DEFAULT_LONG_CONTEXT_TOKENS = 32_000;

const ALIAS_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

type Ctx = z.core.$RefinementCtx<string>;

function fail(ctx: Ctx, message: string): typeof z.NEVER {
  ctx.issues.push({ code: 'custom', message, input: ctx.value });
  return z.NEVER;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

function parseJson(text: string, what: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problems: [`${what} is not valid JSON (${error instanceof Error ? error.message : String(error)})`] };
  }
}

/** Validates every entry and reports each problem with the entry's index and id. */
function parseDeploymentList(text: string, what: string): Parsed<Deployment[]> {
  const json = parseJson(text, what);
  if (!json.ok) return json;
  if (!Array.isArray(json.value)) {
    return { ok: false, problems: [`${what} must be a JSON array of deployments, e.g. [{"id":"openai-gpt-4o-us","provider":"openai","publicModel":"openai/gpt-4o","model":"gpt-4o","region":"us"}]`] };
  }
  if (json.value.length === 0) return { ok: false, problems: [`${what} lists no deployment; unset it to use the built-in mock deployments`] };
  const deployments: Deployment[] = [];
  const problems: string[] = [];
  const firstIndexOfId = new Map<string, number>();
  json.value.forEach((entry: unknown, index) => {
    const rawId = typeof entry === 'object' && entry !== null && 'id' in entry ? (entry as { id: unknown }).id : undefined;
    const label = `entry ${index}${typeof rawId === 'string' ? ` (id "${rawId}")` : ''}`;
    const parsed = DeploymentSchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${label}${issue.path.length > 0 ? ` ${issue.path.join('.')}` : ''}: ${issue.message}`);
      return;
    }
    const earlier = firstIndexOfId.get(parsed.data.id);
    if (earlier !== undefined) {
      problems.push(`${label}: id "${parsed.data.id}" is already used by entry ${earlier}; deployment ids must be unique`);
      return;
    }
    firstIndexOfId.set(parsed.data.id, index);
    deployments.push(parsed.data);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: deployments };
}

function readDeploymentsFile(path: string): Parsed<Deployment[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : String(error);
    return { ok: false, problems: [`cannot read "${path}" (${code})`] };
  }
  return parseDeploymentList(text, `the file "${path}"`);
}

const AliasesSchema = z.record(
  z.string().regex(ALIAS_NAME, 'alias names are letters, digits and . _ : / - (at most 128)'),
  z
    .array(z.string().min(1, 'must not be empty'))
    .min(1, 'must list at least one public model')
    .refine((models) => new Set(models).size === models.length, 'lists a model twice'),
);

/**
 * Routing and recovery variables. Keys ARE the variable names, so the gateway can fold them into
 * its own schema (`.extend(RoutingEnvSchema.shape)`); loadRoutingConfig accepts that parsed object.
 */
export const RoutingEnvSchema = z.object({
  /** JSON array of deployments (DeploymentSchema in libs/providers). */
  TOLLGATE_DEPLOYMENTS: z
    .string()
    .transform((text, ctx) => {
      const parsed = parseDeploymentList(text, 'the value');
      if (parsed.ok) return parsed.value;
      for (const problem of parsed.problems) fail(ctx, problem);
      return z.NEVER;
    })
    .optional(),
  /**
   * Path to a JSON file holding the same array (e.g. a mounted ConfigMap). Stays a path here so the
   * parsed object can be validated again; routingConfigFromEnv reads the file.
   */
  TOLLGATE_DEPLOYMENTS_FILE: z.string().optional(),
  /** JSON object: alias → public models in order of preference, e.g. {"default-chat":["openai/gpt-4o","mock/echo"]}. */
  TOLLGATE_MODEL_ALIASES: z
    .string()
    .transform((text, ctx) => {
      const json = parseJson(text, 'the value');
      if (!json.ok) return fail(ctx, json.problems[0]);
      const parsed = AliasesSchema.safeParse(json.value);
      if (parsed.success) return parsed.data;
      if (typeof json.value !== 'object' || json.value === null || Array.isArray(json.value)) {
        return fail(ctx, 'must be a JSON object of alias → array of public models, e.g. {"default-chat":["openai/gpt-4o","mock/echo"]}');
      }
      for (const issue of parsed.error.issues) {
        const [alias, ...rest] = issue.path;
        fail(ctx, `alias "${String(alias)}"${rest.length > 0 ? ` [${rest.join('.')}]` : ''}: ${issue.message}`);
      }
      return z.NEVER;
    })
    .optional(),
  /** `weighted` (random by deployment weight) or `least-latency` (lowest observed latency first). */
  TOLLGATE_ROUTING_STRATEGY: z.enum(['weighted', 'least-latency'], { error: 'must be "weighted" or "least-latency"' }).default('weighted'),
  /** Prompts longer than this (tokens) go to the deployments with the longest context window first. */
  TOLLGATE_LONG_CONTEXT_TOKENS: env.positiveInt(DEFAULT_LONG_CONTEXT_TOKENS),
  ...ResilienceEnvSchema.shape,
});

export type RoutingEnv = z.infer<typeof RoutingEnvSchema>;

/** Builds the routing config from validated variables; throws ConfigError for bad combinations. */
export function routingConfigFromEnv(parsed: RoutingEnv): RoutingConfig {
  if (parsed.TOLLGATE_DEPLOYMENTS && parsed.TOLLGATE_DEPLOYMENTS_FILE) {
    throw new ConfigError(['TOLLGATE_DEPLOYMENTS_FILE: set either TOLLGATE_DEPLOYMENTS or TOLLGATE_DEPLOYMENTS_FILE, not both']);
  }
  let fromFile: Deployment[] | undefined;
  if (parsed.TOLLGATE_DEPLOYMENTS_FILE) {
    const read = readDeploymentsFile(parsed.TOLLGATE_DEPLOYMENTS_FILE);
    if (!read.ok) throw new ConfigError(read.problems.map((problem) => `TOLLGATE_DEPLOYMENTS_FILE: ${problem}`));
    fromFile = read.value;
  }
  const configured = parsed.TOLLGATE_DEPLOYMENTS ?? fromFile;
  const deployments = configured ?? DEFAULT_DEPLOYMENTS.map((input) => DeploymentSchema.parse(input));
  const deploymentsSource: RoutingConfig['deploymentsSource'] = parsed.TOLLGATE_DEPLOYMENTS
    ? 'TOLLGATE_DEPLOYMENTS'
    : parsed.TOLLGATE_DEPLOYMENTS_FILE
      ? 'TOLLGATE_DEPLOYMENTS_FILE'
      : 'built-in defaults';
  const aliases = parsed.TOLLGATE_MODEL_ALIASES ?? (configured ? {} : DEFAULT_MODEL_ALIASES);

  const publicModels = new Set(deployments.map((d) => d.publicModel));
  const problems: string[] = [];
  for (const [alias, models] of Object.entries(aliases)) {
    if (publicModels.has(alias)) {
      problems.push(`TOLLGATE_MODEL_ALIASES: alias "${alias}" is also a deployment's publicModel; pick another alias name`);
    }
    for (const model of models) {
      if (!publicModels.has(model)) {
        problems.push(
          `TOLLGATE_MODEL_ALIASES: alias "${alias}" names "${model}", which no deployment serves (deployments from ${deploymentsSource} serve: ${[...publicModels].sort().join(', ')})`,
        );
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    deployments,
    aliases,
    strategy: parsed.TOLLGATE_ROUTING_STRATEGY,
    longContextThresholdTokens: parsed.TOLLGATE_LONG_CONTEXT_TOKENS,
    deploymentsSource,
    resilience: resilienceConfigFromEnv(parsed),
  };
}

/** Variables whose values are long JSON: problems name the entry instead of echoing the value. */
const JSON_VARIABLES = new Set(['TOLLGATE_DEPLOYMENTS', 'TOLLGATE_MODEL_ALIASES']);

/**
 * Reads routing and recovery configuration from `process.env`, or from a config object that
 * already holds these variables (parsed values are accepted and re-validated). Throws ConfigError
 * naming each bad variable and, for deployments and aliases, the bad entry.
 */
export function loadRoutingConfig(source: Readonly<Record<string, unknown>> = process.env): RoutingConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(RoutingEnvSchema.shape)) {
    const value = source[key];
    if (value === undefined || value === null || value === '') continue;
    input[key] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  const parsed = RoutingEnvSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '(config)');
        const given = input[variable];
        const echo = given === undefined ? ' (not set)' : JSON_VARIABLES.has(variable) ? '' : ` (got "${given}")`;
        return `${variable}: ${issue.message}${echo}`;
      }),
    );
  }
  return routingConfigFromEnv(parsed.data);
}

export const ROUTING_CONFIG = Symbol('ROUTING_CONFIG');
