import { z } from 'zod';

const TextPart = z.object({ type: z.literal('text'), text: z.string() });

const MessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool'], { error: 'must be one of system, developer, user, assistant, tool' }),
  content: z.union([z.string(), z.array(TextPart).min(1), z.null()], { error: 'must be a string, an array of text parts, or null' }),
  name: z.string().max(256).optional(),
});

/**
 * The OpenAI chat-completions request as far as Tollgate reads it. Other fields pass through to
 * OpenAI-compatible upstreams untouched.
 */
export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string({ error: 'is required and must be a string such as "mock/echo"' }).min(1, 'must not be empty').max(256),
  messages: z.array(MessageSchema, { error: 'is required and must be an array of messages' }).min(1, 'must contain at least one message').max(10_000),
  max_tokens: z.number().int('must be a whole number').positive('must be at least 1').optional(),
  max_completion_tokens: z.number().int('must be a whole number').positive('must be at least 1').optional(),
  temperature: z.number().min(0, 'must be between 0 and 2').max(2, 'must be between 0 and 2').optional(),
  stream: z.boolean({ error: 'must be true or false' }).optional(),
  stream_options: z.looseObject({ include_usage: z.boolean({ error: 'must be true or false' }).optional() }, { error: 'must be an object' }).nullish(),
  top_p: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4, 'must have at most 4 sequences')], { error: 'must be a string or an array of strings' }).nullish(),
  n: z.number().int().min(1).max(1, 'Tollgate returns one choice per request; send n=1 or leave it out').optional(),
  user: z.string().max(256, 'must be at most 256 characters').optional(),
});

export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;
export type ChatCompletionMessage = z.infer<typeof MessageSchema>;

/** Text of a message whatever its shape (string or text parts). */
export function messageText(message: ChatCompletionMessage): string {
  if (message.content === null) return '';
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => part.text).join('');
}

/** OpenAI names nested params like `messages[0].role`. */
export function paramPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}
