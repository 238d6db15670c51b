import { createHash } from 'node:crypto';

/**
 * A content-free identity of a prompt: equal prompts (ignoring case and runs of whitespace) get
 * equal fingerprints, and the prompt cannot be read back from it.
 */
export function promptFingerprint(messages: ReadonlyArray<{ role: string; text: string }>): string {
  const hash = createHash('sha256');
  for (const m of messages) hash.update(`${m.role}\u0000${m.text.trim().replace(/\s+/g, ' ').toLowerCase()}\u0001`);
  return hash.digest('hex');
}
