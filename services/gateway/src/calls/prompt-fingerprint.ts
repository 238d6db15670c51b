import { hash } from 'node:crypto';

/**
 * Every run of whitespace that is not already one plain space: `replace(WHITESPACE_RUN, ' ')` gives
 * what `replace(/\s+/g, ' ')` gives (the spec checks), but leaves text whose words are single-spaced
 * as it is instead of copying it: 1.1 against 2.0 µs per call for a two-message prompt (node 24,
 * one run of a micro-benchmark; docs/benchmarks.md, fourteenth session).
 */
const WHITESPACE_RUN = /\s{2,}|[^\S ]/g;

/**
 * A content-free identity of a prompt: equal prompts (ignoring case and runs of whitespace) get
 * equal fingerprints, and the prompt cannot be read back from it.
 */
export function promptFingerprint(messages: ReadonlyArray<{ role: string; text: string }>): string {
  let normalised = '';
  for (const m of messages) normalised += `${m.role}\u0000${m.text.trim().replace(WHITESPACE_RUN, ' ').toLowerCase()}\u0001`;
  // One-shot crypto.hash: a Hash object per call cost more than the hashing of a short prompt.
  return hash('sha256', normalised, 'hex');
}
