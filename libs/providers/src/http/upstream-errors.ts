import { ProviderError } from '../provider';
import type { ProviderErrorClass } from '../provider';

/** One classification of upstream HTTP statuses, shared by every adapter and the mock's faults. */
export function errorClassForStatus(status: number): ProviderErrorClass {
  if (status === 429) return 'rate_limited';
  // 408 is the upstream timing out our request: as retryable as our own timeout.
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  return 'client_error';
}

/** `error.message` from OpenAI's and Anthropic's error bodies (both nest it the same way). */
export function upstreamErrorMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
}

/** A failed HTTP status as a ProviderError; `label` names the deployment, never its key. */
export function providerErrorForStatus(label: string, status: number, options: { retryAfterMs?: number; upstreamBody?: unknown } = {}): ProviderError {
  const detail = upstreamErrorMessage(options.upstreamBody);
  return new ProviderError(`${label} answered HTTP ${status}${detail ? `: ${detail}` : ''}`, errorClassForStatus(status), {
    status,
    retryAfterMs: options.retryAfterMs,
    upstreamBody: options.upstreamBody,
  });
}
