import { roughPromptTokens } from '@tollgate/providers';

/**
 * Prompt size for routing (context windows, long-context preference), kept off the hot path.
 *
 * gpt-tokenizer 4 (o200k_base), measured on Node 24 on the 2-core dev machine with English prose
 * (README files, ~4.1 chars per token):
 *   - ~1k-token prompt (4 KB):   0.7–1.0 ms per countTokens
 *   - ~50k-token prompt (200 KB): ~27 ms per countTokens
 *   - loading the module: ~180 ms and +76 MB RSS
 *   - Buffer.byteLength: 0.002 ms for 4 KB, 0.09 ms for 200 KB
 * The gateway's whole overhead budget is ~0.3 ms, so the tokenizer runs only when the answer can
 * change a decision, and is loaded on the first such prompt (most deployments never see one).
 *
 * Cheap path: UTF-8 bytes / 4. It tracks o200k across scripts better than chars / 4 (CJK is 3 bytes
 * a character and about one token). It is taken only while even 2 bytes per token (denser than
 * prose, code or CJK ever get) would stay under `exactFromTokens`, the lowest limit that matters;
 * so a cheap estimate can never be what refuses a prompt or reorders a route.
 */

/** OpenAI's chat framing: about 3–4 tokens per message plus 3 priming the reply. */
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PRIMING_REPLY = 3;

/** The default long-context threshold; below every default context window. */
export const DEFAULT_EXACT_COUNT_FROM_TOKENS = 32_000;

export interface PromptMessage {
  content: string | null;
  name?: string;
}

type Tokenizer = typeof import('gpt-tokenizer');
let tokenizer: Tokenizer | undefined;

function countTokens(text: string): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use: ~180 ms and ~76 MB that short prompts never need
  tokenizer ??= require('gpt-tokenizer') as Tokenizer;
  return tokenizer.countTokens(text);
}

/**
 * Prompt tokens as routing sees them. Exact (gpt-tokenizer) when the prompt might reach
 * `exactFromTokens`; otherwise a cheap bytes/4 estimate that is certainly below it.
 * Router.estimatePromptTokens passes the lowest limit of its own catalog.
 */
export function estimatePromptTokens(messages: readonly PromptMessage[], exactFromTokens = DEFAULT_EXACT_COUNT_FROM_TOKENS): number {
  // The cheap rule is the providers' own (so routing and the mock agree on mock traffic).
  const rough = roughPromptTokens(messages);
  const framing = messages.length * TOKENS_PER_MESSAGE + TOKENS_PRIMING_REPLY;
  // (rough - framing) * 2 >= bytes / 2: safe to use the cheap value only while even that stays under the limit.
  if ((rough - framing) * 2 + framing < exactFromTokens) return rough;
  let tokens = framing;
  for (const message of messages) {
    if (message.content) tokens += countTokens(message.content);
    if (message.name) tokens += countTokens(message.name);
  }
  return tokens;
}
