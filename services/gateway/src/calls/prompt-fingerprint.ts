import { hash } from 'node:crypto';

/**
 * A content-free identity of a prompt: equal prompts (ignoring case and runs of whitespace) get
 * equal fingerprints, and the prompt cannot be read back from it.
 */
export function promptFingerprint(messages: ReadonlyArray<{ role: string; text: string }>): string {
  let normalised = '';
  for (const m of messages) normalised += `${m.role}\u0000${m.text.trim().replace(/\s+/g, ' ').toLowerCase()}\u0001`;
  // One-shot crypto.hash: a Hash object per call cost more than the hashing of a short prompt.
  return hash('sha256', normalised, 'hex');
}
