/** Response headers as undici and node:http give them. */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * How long the upstream asked us to wait, in ms, or undefined when it did not say. Reads OpenAI's
 * `retry-after-ms` first (finer than seconds), then `Retry-After` as delta-seconds or an HTTP-date
 * (RFC 9110 §10.2.3). A date in the past means "now" (0).
 */
export function parseRetryAfter(headers: ResponseHeaders, nowMs: number = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = header(headers, 'retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
