import type { ChatMessage } from './provider';

/** OpenAI's chat framing: about 4 tokens per message plus 3 priming the reply. */
const TOKENS_PER_MESSAGE = 4;
const TOKENS_PRIMING_REPLY = 3;

/**
 * A cheap, deterministic token count: UTF-8 bytes / 4, rounded up. It costs ~0.002 ms for 4 KB
 * where gpt-tokenizer costs ~1 ms (and ~180 ms and ~76 MB to load), so it is what the mock reports
 * and what adapters fall back to when an upstream reports no usage. Same rule as the gateway's
 * cheap prompt estimate, so the two agree on mock traffic.
 */
export function roughTokenCount(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
}

/** Prompt tokens of a chat request by the same rule, with OpenAI's per-message framing. */
export function roughPromptTokens(messages: ReadonlyArray<Pick<ChatMessage, 'content' | 'name'> & Partial<Pick<ChatMessage, 'tool_calls'>>>): number {
  let bytes = 0;
  for (const message of messages) {
    if (message.content) bytes += Buffer.byteLength(message.content, 'utf8');
    if (message.name) bytes += Buffer.byteLength(message.name, 'utf8');
    // Tool calls the model made are prompt tokens on the next turn: their names and arguments.
    for (const call of message.tool_calls ?? []) bytes += Buffer.byteLength(call.function.name, 'utf8') + Buffer.byteLength(call.function.arguments, 'utf8');
  }
  return Math.ceil(bytes / 4) + messages.length * TOKENS_PER_MESSAGE + TOKENS_PRIMING_REPLY;
}
