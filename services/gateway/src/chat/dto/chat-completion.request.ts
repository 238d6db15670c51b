import { z } from 'zod';
import { OpenAiHttpError } from '@tollgate/platform';

/**
 * Bounds both the schema and the plain-body check below (isPlainChatRequest) apply, so that the
 * two cannot drift apart.
 */
const MAX_NAME_LENGTH = 256; // model, message name, user, ids
const MAX_MESSAGES = 10_000;
const TEMPERATURE = { min: 0, max: 2 } as const;
const TOP_P = { min: 0, max: 1 } as const;
const ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;

const TextPart = z.object({ type: z.literal('text'), text: z.string() });

/** OpenAI's rule for function names (also what Anthropic accepts for tool names). */
const FunctionName = z.string({ error: 'is required and must be a string' }).regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, underscores or dashes');

/** A tool call an assistant message carries (the model's earlier turn, sent back by the client). */
const ToolCallSchema = z.looseObject({
  id: z.string({ error: 'is required and must be a string' }).min(1, 'must not be empty').max(MAX_NAME_LENGTH),
  type: z.literal('function', { error: 'must be "function"' }),
  function: z.looseObject(
    {
      name: FunctionName,
      arguments: z.string({ error: 'is required and must be a string (the JSON the model wrote)' }),
    },
    { error: 'is required and must be an object with name and arguments' },
  ),
});

const MessageSchema = z
  .looseObject({
    role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
    // Optional here so that an assistant message with tool_calls may leave it out; required for the other roles below.
    content: z.union([z.string(), z.array(TextPart).min(1), z.null()], { error: 'must be a string, an array of text parts, or null' }).optional(),
    name: z.string().max(MAX_NAME_LENGTH).optional(),
    tool_calls: z.array(ToolCallSchema, { error: 'must be an array of tool calls' }).min(1, 'must not be empty; leave it out instead').max(128).optional(),
    tool_call_id: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(MAX_NAME_LENGTH).optional(),
  })
  .superRefine((message, ctx) => {
    const { role } = message;
    if (message.tool_calls !== undefined && role !== 'assistant') {
      ctx.addIssue({ code: 'custom', path: ['tool_calls'], message: 'is only allowed on assistant messages' });
    }
    if (role === 'tool') {
      if (message.tool_call_id === undefined) ctx.addIssue({ code: 'custom', path: ['tool_call_id'], message: 'is required on tool messages: the id of the tool call this message answers' });
      if (message.content === undefined || message.content === null) ctx.addIssue({ code: 'custom', path: ['content'], message: 'is required on tool messages: the tool result as a string or text parts' });
      return;
    }
    if (message.tool_call_id !== undefined) ctx.addIssue({ code: 'custom', path: ['tool_call_id'], message: 'is only allowed on tool messages' });
    if (message.content === undefined && !(role === 'assistant' && message.tool_calls)) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'is required (it may be null only on an assistant message with tool_calls)' });
    }
  });

/** A function tool the model may call; other tool types are not supported by Tollgate's adapters. */
const ToolSchema = z.looseObject({
  type: z.literal('function', { error: 'must be "function" (the only tool type Tollgate supports)' }),
  function: z.looseObject(
    {
      name: FunctionName,
      description: z.string({ error: 'must be a string' }).optional(),
      parameters: z.record(z.string(), z.unknown(), { error: 'must be a JSON Schema object' }).optional(),
      strict: z.boolean({ error: 'must be true or false' }).nullish(),
    },
    { error: 'is required and must be an object with at least a name' },
  ),
});

const ToolChoiceSchema = z.union(
  [
    z.enum(['none', 'auto', 'required']),
    z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: FunctionName }) }),
  ],
  { error: 'must be "none", "auto", "required" or {"type": "function", "function": {"name": ...}}' },
);

/**
 * The OpenAI chat-completions request as far as Tollgate reads it. Other fields pass through to
 * OpenAI-compatible upstreams untouched (tools, tool_choice and parallel_tool_calls too, once
 * validated here; the Anthropic adapter translates them).
 */
export const ChatCompletionRequestSchema = z
  .looseObject({
    model: z.string({ error: 'is required and must be a string such as "mock/echo"' }).min(1, 'must not be empty').max(MAX_NAME_LENGTH),
    messages: z.array(MessageSchema, { error: 'is required and must be an array of messages' }).min(1, 'must contain at least one message').max(MAX_MESSAGES),
    max_tokens: z.number().int('must be a whole number').positive('must be at least 1').optional(),
    max_completion_tokens: z.number().int('must be a whole number').positive('must be at least 1').optional(),
    temperature: z.number().min(TEMPERATURE.min, `must be between ${TEMPERATURE.min} and ${TEMPERATURE.max}`).max(TEMPERATURE.max, `must be between ${TEMPERATURE.min} and ${TEMPERATURE.max}`).optional(),
    stream: z.boolean({ error: 'must be true or false' }).optional(),
    stream_options: z.looseObject({ include_usage: z.boolean({ error: 'must be true or false' }).optional() }, { error: 'must be an object' }).nullish(),
    top_p: z.number().min(TOP_P.min, `must be between ${TOP_P.min} and ${TOP_P.max}`).max(TOP_P.max, `must be between ${TOP_P.min} and ${TOP_P.max}`).optional(),
    stop: z.union([z.string(), z.array(z.string()).max(4, 'must have at most 4 sequences')], { error: 'must be a string or an array of strings' }).nullish(),
    n: z.number().int().min(1).max(1, 'Tollgate returns one choice per request; send n=1 or leave it out').optional(),
    user: z.string().max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`).optional(),
    tools: z.array(ToolSchema, { error: 'must be an array of tools' }).max(128, 'must have at most 128 tools').optional(),
    tool_choice: ToolChoiceSchema.optional(),
    parallel_tool_calls: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .superRefine((request, ctx) => {
    // Each tool result must answer a tool call of an earlier assistant message (OpenAI and
    // Anthropic both reject the request otherwise; better a clear 400 here than an upstream one).
    const called = new Set<string>();
    for (const [i, message] of request.messages.entries()) {
      for (const call of message.tool_calls ?? []) called.add(call.id);
      if (message.role === 'tool' && message.tool_call_id !== undefined && !called.has(message.tool_call_id)) {
        ctx.addIssue({ code: 'custom', path: ['messages', i, 'tool_call_id'], message: `"${message.tool_call_id}" answers no tool call of an earlier assistant message` });
      }
    }
    const choice = request.tool_choice;
    if (typeof choice === 'object' && !request.tools?.some((t) => t.function.name === choice.function.name)) {
      ctx.addIssue({ code: 'custom', path: ['tool_choice'], message: `names the function "${choice.function.name}", which is not in tools` });
    } else if (choice === 'required' && !request.tools?.length) {
      ctx.addIssue({ code: 'custom', path: ['tool_choice'], message: 'is "required" but no tools are given' });
    }
  });

export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;
export type ChatCompletionMessage = z.infer<typeof MessageSchema>;

/** Text of a message whatever its shape (string or text parts); '' when it has none. */
export function messageText(message: ChatCompletionMessage): string {
  if (message.content === null || message.content === undefined) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => part.text).join('');
}

/**
 * The request as the token estimate sees it (routing by prompt length, budget reservations): each
 * message's text with its tool calls' names and arguments, and the tool definitions, which the
 * upstream also counts as prompt tokens.
 */
export function promptForEstimate(request: Pick<ChatCompletionRequest, 'messages' | 'tools'>): Array<{ role: string; content: string }> {
  const messages = request.messages.map((m) => ({
    role: m.role,
    content: messageText(m) + (m.tool_calls ?? []).map((c) => ` ${c.function.name}(${c.function.arguments})`).join(''),
  }));
  return request.tools?.length ? [{ role: 'system', content: JSON.stringify(request.tools) }, ...messages] : messages;
}

/**
 * The chat request, validated: `parseOpenAiBody(ChatCompletionRequestSchema, body)`, except that a
 * body of the common plain shape (`isPlainChatRequest`) is accepted as it is, without zod.
 *
 * Hand-written because it is measurably better on the hot path: zod's safeParse of a two-message
 * request took 4 µs per call run hot in a loop and 24–46 µs per call at 100 req/s in bench:gateway
 * (stage marks, docs/benchmarks.md, tenth session), the largest single step before the upstream
 * call. The check accepts only what the schema accepts (a differential spec runs both over
 * generated bodies) and leaves everything else, every error included, to zod.
 */
export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  return isPlainChatRequest(body) ? body : parseOpenAiBody(ChatCompletionRequestSchema, body);
}

/** Every role but `tool`, whose messages need a tool_call_id the schema checks against earlier calls. */
const PLAIN_ROLES: ReadonlySet<unknown> = new Set(ROLES.filter((role) => role !== 'tool'));

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Object.hasOwn(value, '__proto__');
}

function isOptionalPositiveInt(value: unknown): boolean {
  return value === undefined || (Number.isSafeInteger(value) && (value as number) > 0);
}

function isOptionalNumberIn(value: unknown, { min, max }: { min: number; max: number }): boolean {
  return value === undefined || (typeof value === 'number' && value >= min && value <= max);
}

function isPlainMessage(message: unknown): boolean {
  if (!isPlainRecord(message)) return false;
  const { name } = message;
  return (
    PLAIN_ROLES.has(message['role']) &&
    typeof message['content'] === 'string' &&
    (name === undefined || (typeof name === 'string' && name.length <= MAX_NAME_LENGTH)) &&
    message['tool_calls'] === undefined &&
    message['tool_call_id'] === undefined
  );
}

/**
 * Whether `body` is a chat request of the plain shape that ChatCompletionRequestSchema accepts
 * unchanged: string model, messages of system/developer/user/assistant roles with string content,
 * and only the sampling fields below, each within the schema's bounds. Tools, tool calls, text
 * parts, `stop`, `n` and anything out of bounds answer false (zod decides those). Fields the schema
 * does not name pass through, as they do with zod.
 */
export function isPlainChatRequest(body: unknown): body is ChatCompletionRequest {
  if (!isPlainRecord(body)) return false;
  const { model, messages, user, stream, stream_options: streamOptions } = body;
  if (typeof model !== 'string' || model.length < 1 || model.length > MAX_NAME_LENGTH) return false;
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > MAX_MESSAGES) return false;
  for (const message of messages) if (!isPlainMessage(message)) return false;
  return (
    isOptionalPositiveInt(body['max_tokens']) &&
    isOptionalPositiveInt(body['max_completion_tokens']) &&
    isOptionalNumberIn(body['temperature'], TEMPERATURE) &&
    isOptionalNumberIn(body['top_p'], TOP_P) &&
    (stream === undefined || typeof stream === 'boolean') &&
    (streamOptions === undefined || streamOptions === null || (isPlainRecord(streamOptions) && (streamOptions['include_usage'] === undefined || typeof streamOptions['include_usage'] === 'boolean'))) &&
    (user === undefined || (typeof user === 'string' && user.length <= MAX_NAME_LENGTH)) &&
    body['stop'] === undefined &&
    body['n'] === undefined &&
    body['tools'] === undefined &&
    body['tool_choice'] === undefined &&
    body['parallel_tool_calls'] === undefined
  );
}

/** OpenAI names nested params like `messages[0].role`. */
export function paramPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

/** A `/v1/*` request body parsed by `schema`, or a 400 in OpenAI's shape naming the first bad param. */
export function parseOpenAiBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw OpenAiHttpError.invalidRequest('The request body must be a JSON object sent with Content-Type: application/json.', null, 'invalid_body');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = paramPath(issue.path);
    throw OpenAiHttpError.invalidRequest(`${param ? `${param}: ` : ''}${issue.message}`, param || null, issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value');
  }
  return parsed.data;
}
