import type { z } from 'zod';
import { OpenAiHttpError } from '@tollgate/platform';

/**
 * Validates a query or body against its zod schema, or throws a 400 in OpenAI's error shape
 * naming the first offending parameter, so a client can fix it from the message alone.
 */
export function parseRequest<S extends z.ZodType>(schema: S, raw: unknown, where: 'query' | 'body'): z.infer<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const param = issue.keys.join(', ');
    throw OpenAiHttpError.invalidRequest(`Unknown ${where === 'query' ? 'query parameter' : 'field'}(s): ${param}.`, param, `invalid_${where}`);
  }
  const param = issue.path.length ? issue.path.map(String).join('.') : null;
  throw OpenAiHttpError.invalidRequest(param ? `${param}: ${issue.message}` : `Invalid ${where}: ${issue.message}`, param, `invalid_${where}`);
}
