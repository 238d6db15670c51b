import { z } from 'zod';

/** Start-up configuration was missing or wrong. The message names every offending variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates environment variables against a zod object whose keys ARE the variable names, so
 * every message names the variable to fix. Unset and empty values both count as unset.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(config)');
      const given = input[variable];
      return `${variable}: ${issue.message}${given === undefined ? ' (not set)' : ` (got "${redact(variable, given)}")`}`;
    }),
  );
}

/** Never echo secrets back into logs. */
function redact(variable: string, value: string): string {
  return /KEY|SECRET|PASSWORD|TOKEN|URL/i.test(variable) ? '<redacted>' : value;
}

/** Reusable variable parsers with messages a person can act on. */
export const env = {
  port: (fallback: number) =>
    z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a whole number')
      .min(1, 'must be between 1 and 65535')
      .max(65535, 'must be between 1 and 65535')
      .default(fallback),
  nonNegativeInt: (fallback: number) =>
    z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').default(fallback),
  positiveInt: (fallback: number) =>
    z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive('must be greater than 0').default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1')
      .default(fallback),
  url: (protocols: readonly string[]) =>
    z
      .string()
      .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol.replace(/:$/, '')), {
        message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
      }),
  csv: () =>
    z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .refine((list) => list.length > 0, 'must list at least one value'),
};
