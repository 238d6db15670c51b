import { hash, randomBytes } from 'node:crypto';

/** Tollgate API keys: `tg-` + 43 url-safe characters (256 bits). */
export const API_KEY_PATTERN = /^tg-[A-Za-z0-9_-]{20,200}$/;

export function generateApiKey(): string {
  return `tg-${randomBytes(32).toString('base64url')}`;
}

/**
 * SHA-256 is the right hash here, not bcrypt: keys are 256-bit random, so there is nothing to
 * brute-force, and the gateway looks a key up on every call.
 */
export function hashApiKey(key: string): string {
  // One-shot crypto.hash (once per request): cheaper than a Hash object for a short key.
  return hash('sha256', key, 'hex');
}

/** What may be shown of a key after creation: enough to recognise it, not to use it. */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, 8);
}

export function maskApiKey(key: string): string {
  return key.length <= 10 ? '***' : `${key.slice(0, 6)}...${key.slice(-4)}`;
}
