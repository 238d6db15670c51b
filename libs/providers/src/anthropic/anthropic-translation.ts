import { errorClassForStatus } from '../http/upstream-errors';
import { ProviderError } from '../provider';
import type { FinishReason, ProviderChatRequest, ProviderChatResponse, ProviderStreamEvent, ProviderUsage } from '../provider';

/**
 * Chat Completions ⇄ Anthropic Messages, both directions, streaming included. Pure functions and
 * one small state machine, so the translation is testable without HTTP.
 */

/** Anthropic requires max_tokens; OpenAI does not. Used when the client set no limit. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
export const ANTHROPIC_VERSION = '2023-06-01';

export interface AnthropicTextBlock {
  type: 'text';
  text: string;
}

export interface AnthropicToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string;
}

/** Content blocks Tollgate sends (text, and the tool round trip). */
export type AnthropicRequestBlock = AnthropicTextBlock | AnthropicToolUseBlock | AnthropicToolResultBlock;

export interface AnthropicMessageParam {
  role: 'user' | 'assistant';
  content: string | AnthropicRequestBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: unknown;
}

export interface AnthropicMessagesRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessageParam[];
  system?: string;
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  metadata?: { user_id: string };
  stream?: true;
  tools?: AnthropicTool[];
  tool_choice?: { type: 'none' } | { type: 'auto' | 'any'; disable_parallel_tool_use?: boolean } | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean };
}

export interface AnthropicUsage {
  /** Input tokens AFTER the last cache breakpoint: excludes cache reads and writes. */
  input_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens?: number;
}

export type AnthropicContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: string; [field: string]: unknown };

export interface AnthropicMessage {
  id?: string;
  model?: string;
  content?: AnthropicContentBlock[];
  stop_reason?: string | null;
  usage?: AnthropicUsage;
}

export type AnthropicStreamEvent =
  | { type: 'message_start'; message: AnthropicMessage }
  | { type: 'content_block_start'; index: number; content_block: AnthropicContentBlock }
  | { type: 'content_block_delta'; index: number; delta: { type: string; text?: string; partial_json?: string } }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason?: string | null }; usage?: AnthropicUsage }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | { type: 'error'; error?: { type?: string; message?: string } };

// ---- chat → Messages ----

interface OpenAiFunctionTool {
  type?: string;
  function?: { name?: string; description?: string; parameters?: unknown };
}

function translateTools(tools: unknown): AnthropicTool[] | undefined {
  if (!Array.isArray(tools)) return undefined;
  const translated: AnthropicTool[] = [];
  for (const tool of tools as OpenAiFunctionTool[]) {
    const fn = tool?.function;
    if (tool?.type !== 'function' || typeof fn?.name !== 'string') continue;
    translated.push({
      name: fn.name,
      ...(fn.description !== undefined ? { description: fn.description } : {}),
      // Anthropic requires a schema; OpenAI allows a function without parameters.
      input_schema: fn.parameters ?? { type: 'object', properties: {} },
    });
  }
  return translated.length > 0 ? translated : undefined;
}

function translateToolChoice(choice: unknown): AnthropicMessagesRequest['tool_choice'] {
  if (choice === 'auto' || choice === 'none') return { type: choice };
  if (choice === 'required') return { type: 'any' };
  const name = (choice as { function?: { name?: unknown } } | null)?.function?.name;
  return typeof name === 'string' ? { type: 'tool', name } : undefined;
}

/**
 * A tool call's arguments as Anthropic's `input` object. OpenAI carries them as the JSON string
 * the model wrote; Anthropic wants the object. A string that is not a JSON object cannot be sent
 * as it is, and guessing would change what the model said: the request is refused (400).
 */
function toolInput(label: string, argumentsJson: string, where: string): unknown {
  if (argumentsJson.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(argumentsJson);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed;
  const message = `${where}: the arguments must be a JSON object to be sent to an Anthropic model`;
  throw new ProviderError(`${label} cannot translate the request: ${message}`, 'client_error', {
    status: 400,
    upstreamBody: { error: { message, type: 'invalid_request_error', param: where, code: null } },
  });
}

/**
 * The Messages request for a chat request:
 *  - system and developer messages → top-level `system` (joined by blank lines);
 *  - assistant `tool_calls` → `tool_use` blocks after the turn's text (arguments parsed to `input`);
 *  - `tool` messages → `tool_result` blocks in a user turn (Anthropic has no tool role), so
 *    consecutive tool results, and a user message right after them, form one user message with
 *    the results first, as Anthropic requires; a tool message without tool_call_id (never from
 *    the gateway, which validates it) stays a plain user text;
 *  - consecutive same-role turns merged (Anthropic requires alternation), empty ones dropped
 *    (Anthropic rejects empty text blocks); a turn that is one text stays a plain string;
 *  - max_tokens defaults to ANTHROPIC_DEFAULT_MAX_TOKENS; temperature is capped at Anthropic's 1;
 *  - stop → stop_sequences, user → metadata.user_id, OpenAI function tools, tool_choice and
 *    `parallel_tool_calls: false` (→ `disable_parallel_tool_use`) translated; other OpenAI-only
 *    fields (response_format, seed, ...) have no equivalent and are dropped.
 */
export function toAnthropicRequest(request: ProviderChatRequest, stream: boolean, label = 'anthropic'): AnthropicMessagesRequest {
  const system: string[] = [];
  const turns: { role: 'user' | 'assistant'; blocks: AnthropicRequestBlock[] }[] = [];
  const add = (role: 'user' | 'assistant', blocks: AnthropicRequestBlock[]): void => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  };
  for (const [i, message] of request.messages.entries()) {
    if (message.role === 'system' || message.role === 'developer') {
      if (message.content) system.push(message.content);
      continue;
    }
    if (message.role === 'tool' && message.tool_call_id !== undefined) {
      add('user', [{ type: 'tool_result', tool_use_id: message.tool_call_id, ...(message.content ? { content: message.content } : {}) }]);
      continue;
    }
    const blocks: AnthropicRequestBlock[] = message.content ? [{ type: 'text', text: message.content }] : [];
    if (message.role === 'assistant') {
      for (const [j, call] of (message.tool_calls ?? []).entries()) {
        blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(label, call.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`) });
      }
    }
    add(message.role === 'assistant' ? 'assistant' : 'user', blocks);
  }
  const body: AnthropicMessagesRequest = {
    model: request.model,
    max_tokens: request.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: turns.map(({ role, blocks }) => ({ role, content: blocks.length === 1 && blocks[0].type === 'text' ? blocks[0].text : blocks })),
  };
  if (system.length > 0) body.system = system.join('\n\n');
  // OpenAI's range is 0–2, Anthropic's 0–1: an alias routed to Claude must not turn 1.5 into a 400.
  if (request.temperature !== undefined) body.temperature = Math.min(request.temperature, 1);
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) body.stop_sequences = request.stop;
  if (request.user !== undefined) body.metadata = { user_id: request.user };
  const tools = translateTools(request.extra?.tools);
  if (tools) {
    body.tools = tools;
    let toolChoice = translateToolChoice(request.extra?.tool_choice);
    if (request.extra?.parallel_tool_calls === false) {
      toolChoice ??= { type: 'auto' };
      if (toolChoice.type !== 'none') toolChoice = { ...toolChoice, disable_parallel_tool_use: true };
    }
    if (toolChoice) body.tool_choice = toolChoice;
  }
  if (stream) body.stream = true;
  return body;
}

// ---- Messages → chat ----

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * Anthropic's usage in OpenAI's convention. Anthropic's `input_tokens` counts only the tokens after
 * the last cache breakpoint; OpenAI's `prompt_tokens` counts the whole prompt, cached part included.
 * So inputTokens = input_tokens + cache_read_input_tokens + cache_creation_input_tokens.
 * Anthropic reports no separate thinking tokens: they are in output_tokens, reasoningTokens stays 0.
 */
export function usageFromAnthropic(usage: AnthropicUsage | undefined): ProviderUsage {
  const cachedReadTokens = count(usage?.cache_read_input_tokens);
  const cacheWriteTokens = count(usage?.cache_creation_input_tokens);
  return {
    inputTokens: count(usage?.input_tokens) + cachedReadTokens + cacheWriteTokens,
    outputTokens: count(usage?.output_tokens),
    cachedReadTokens,
    cacheWriteTokens,
    reasoningTokens: 0,
  };
}

export function finishReasonFromAnthropic(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn
      return 'stop';
  }
}

function isToolUse(block: AnthropicContentBlock): block is { type: 'tool_use'; id: string; name: string; input: unknown } {
  return block.type === 'tool_use';
}

/** A Messages response as a chat response: text blocks joined, tool_use blocks as OpenAI tool_calls. */
export function fromAnthropicMessage(message: AnthropicMessage, requestedModel: string): ProviderChatResponse {
  const blocks = message.content ?? [];
  const content = blocks.map((block) => (block.type === 'text' && typeof block.text === 'string' ? block.text : '')).join('');
  const toolCalls = blocks.filter(isToolUse).map((block) => ({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } }));
  return {
    id: message.id ?? '',
    model: message.model ?? requestedModel,
    content,
    finishReason: finishReasonFromAnthropic(message.stop_reason),
    usage: usageFromAnthropic(message.usage),
    usageSource: 'provider',
    // A tool-call-only answer has `content: null` in OpenAI's shape.
    ...(toolCalls.length > 0 ? { extraMessageFields: content ? { tool_calls: toolCalls } : { content: null, tool_calls: toolCalls } } : {}),
  };
}

/** Anthropic's error types and the HTTP status each goes with (docs: "Errors"), for stream `error` events. */
const ANTHROPIC_ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

export function errorFromAnthropicStreamEvent(label: string, event: { error?: { type?: string; message?: string } }): ProviderError {
  const type = event.error?.type ?? 'api_error';
  // An unknown type mid-stream is the upstream's trouble, not the client's request.
  const status = ANTHROPIC_ERROR_STATUS[type] ?? 500;
  return new ProviderError(`${label} reported ${type} mid-stream${event.error?.message ? `: ${event.error.message}` : ''}`, errorClassForStatus(status), {
    status,
    upstreamBody: { type: 'error', error: event.error },
  });
}

/**
 * Turns Anthropic stream events into chat stream events: text deltas as deltas, tool_use blocks
 * as OpenAI `tool_calls` deltas in `raw`, and message_stop as the finish, with the usage gathered
 * from message_start (input side) and message_delta (output side, cumulative).
 */
export class AnthropicStreamTranslator {
  private id = '';
  private model: string;
  private usage: AnthropicUsage = {};
  private stopReason: string | null | undefined;
  /** Anthropic content-block index → OpenAI tool_calls index. */
  private readonly toolIndexes = new Map<number, number>();
  finished = false;

  constructor(
    private readonly label: string,
    requestedModel: string,
  ) {
    this.model = requestedModel;
  }

  /** The chat event this Anthropic event becomes, if any; throws on an `error` event. */
  next(event: AnthropicStreamEvent): ProviderStreamEvent | undefined {
    switch (event.type) {
      case 'message_start':
        if (event.message.id) this.id = event.message.id;
        if (event.message.model) this.model = event.message.model;
        this.usage = { ...event.message.usage };
        return undefined;
      case 'content_block_start': {
        const block = event.content_block;
        if (isToolUse(block)) {
          const index = this.toolIndexes.size;
          this.toolIndexes.set(event.index, index);
          return { type: 'delta', content: '', raw: { tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] } };
        }
        return block.type === 'text' && typeof block.text === 'string' && block.text ? { type: 'delta', content: block.text } : undefined;
      }
      case 'content_block_delta': {
        const { delta } = event;
        if (delta.type === 'text_delta' && delta.text) return { type: 'delta', content: delta.text };
        const toolIndex = this.toolIndexes.get(event.index);
        if (delta.type === 'input_json_delta' && toolIndex !== undefined && delta.partial_json) {
          return { type: 'delta', content: '', raw: { tool_calls: [{ index: toolIndex, function: { arguments: delta.partial_json } }] } };
        }
        // thinking_delta, signature_delta, citations: not part of the chat answer.
        return undefined;
      }
      case 'message_delta':
        if (event.delta.stop_reason !== undefined) this.stopReason = event.delta.stop_reason;
        // message_delta's counts are cumulative; newer API versions repeat the input side too.
        for (const [field, value] of Object.entries(event.usage ?? {})) {
          if (typeof value === 'number') this.usage[field as keyof AnthropicUsage] = value;
        }
        return undefined;
      case 'message_stop':
        this.finished = true;
        return { type: 'finish', id: this.id, model: this.model, finishReason: finishReasonFromAnthropic(this.stopReason), usage: usageFromAnthropic(this.usage), usageSource: 'provider' };
      case 'error':
        throw errorFromAnthropicStreamEvent(this.label, event);
      default:
        // ping, content_block_stop, and event types added after this was written.
        return undefined;
    }
  }
}
