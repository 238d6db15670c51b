import { OpenAiHttpError } from '@tollgate/platform';
import { ProviderError } from '@tollgate/providers';

function upstreamMessage(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const error = (body as { error?: unknown }).error;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return null;
}

/**
 * What the client sees when every attempt failed: a status that says whose fault it was and what
 * to do, in OpenAI's shape. An upstream rejecting the request itself (4xx) is passed on as such.
 */
export function toClientError(error: unknown): OpenAiHttpError {
  if (error instanceof OpenAiHttpError) return error;
  if (!(error instanceof ProviderError)) {
    return new OpenAiHttpError(502, 'api_error', `The upstream call failed: ${error instanceof Error ? error.message : String(error)}`, { code: 'upstream_error' });
  }
  switch (error.errorClass) {
    case 'rate_limited':
      return new OpenAiHttpError(429, 'rate_limit_error', 'Every provider that can serve this model is rate-limiting us right now; retry after a short wait.', { code: 'upstream_rate_limited' });
    case 'timeout':
      return new OpenAiHttpError(504, 'api_error', 'The provider did not answer in time (after retries and fallbacks); retry, or ask for fewer tokens.', { code: 'upstream_timeout' });
    case 'client_error': {
      const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 400;
      return new OpenAiHttpError(status, 'invalid_request_error', `The provider rejected the request: ${upstreamMessage(error.options.upstreamBody) ?? error.message}`, { code: 'upstream_rejected' });
    }
    default:
      return new OpenAiHttpError(502, 'api_error', 'The providers that can serve this model failed (after retries and fallbacks); retry later.', { code: 'upstream_error' });
  }
}
