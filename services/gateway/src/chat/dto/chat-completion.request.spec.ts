import { OpenAiHttpError } from '@tollgate/platform';
import { ChatCompletionRequestSchema, isPlainChatRequest, paramPath, parseChatCompletionRequest, promptForEstimate } from './chat-completion.request';

const weatherTool = { type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const toolCall = { id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
const roundTrip = [
  { role: 'user', content: 'Weather in Paris?' },
  { role: 'assistant', content: null, tool_calls: [toolCall] },
  { role: 'tool', tool_call_id: 'call_abc', content: '{"temperature":18}' },
];

/** The OpenAI `param` the controller would answer with, and the message (first issue, as the controller reads it). */
function firstIssue(body: unknown): { param: string; message: string } | null {
  const parsed = ChatCompletionRequestSchema.safeParse(body);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  return { param: paramPath(issue.path), message: issue.message };
}

describe('chat request validation: tool calling', () => {
  it('accepts a two-turn tool round trip with tools, tool_choice and parallel_tool_calls, and keeps every field', () => {
    const body = { model: 'mock/echo', messages: roundTrip, tools: [weatherTool], tool_choice: 'auto', parallel_tool_calls: false };
    const parsed = ChatCompletionRequestSchema.parse(body);
    expect(parsed).toEqual(body);
  });

  it('accepts an assistant message with tool_calls and no content at all, and text parts as a tool result', () => {
    const messages = [roundTrip[0], { role: 'assistant', tool_calls: [toolCall] }, { role: 'tool', tool_call_id: 'call_abc', content: [{ type: 'text', text: '18' }] }];
    expect(firstIssue({ model: 'm', messages })).toBeNull();
    expect(firstIssue({ model: 'm', messages: roundTrip, tool_choice: { type: 'function', function: { name: 'get_weather' } }, tools: [weatherTool] })).toBeNull();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a tool message without tool_call_id', { messages: [roundTrip[0], roundTrip[1], { role: 'tool', content: '18' }] }, 'messages[2].tool_call_id'],
    ['a tool message answering no earlier tool call', { messages: [roundTrip[0], roundTrip[1], { role: 'tool', tool_call_id: 'call_zzz', content: '18' }] }, 'messages[2].tool_call_id'],
    ['a tool result before the call it answers', { messages: [roundTrip[0], roundTrip[2], roundTrip[1]] }, 'messages[1].tool_call_id'],
    ['a tool message with null content', { messages: [roundTrip[0], roundTrip[1], { role: 'tool', tool_call_id: 'call_abc', content: null }] }, 'messages[2].content'],
    ['tool_call_id on a user message', { messages: [{ role: 'user', content: 'x', tool_call_id: 'call_abc' }] }, 'messages[0].tool_call_id'],
    ['tool_calls on a user message', { messages: [{ role: 'user', content: 'x', tool_calls: [toolCall] }] }, 'messages[0].tool_calls'],
    ['a user message without content', { messages: [{ role: 'user' }] }, 'messages[0].content'],
    ['an assistant message with neither content nor tool_calls', { messages: [roundTrip[0], { role: 'assistant' }] }, 'messages[1].content'],
    ['empty tool_calls', { messages: [roundTrip[0], { role: 'assistant', content: null, tool_calls: [] }] }, 'messages[1].tool_calls'],
    ['a tool call without id', { messages: [roundTrip[0], { role: 'assistant', tool_calls: [{ type: 'function', function: toolCall.function }] }] }, 'messages[1].tool_calls[0].id'],
    ['a tool call with object arguments', { messages: [roundTrip[0], { role: 'assistant', tool_calls: [{ ...toolCall, function: { name: 'get_weather', arguments: { city: 'Paris' } } }] }] }, 'messages[1].tool_calls[0].function.arguments'],
    ['a tool call of another type', { messages: [roundTrip[0], { role: 'assistant', tool_calls: [{ ...toolCall, type: 'custom' }] }] }, 'messages[1].tool_calls[0].type'],
    ['tools that are not an array', { messages: roundTrip, tools: { type: 'function' } }, 'tools'],
    ['a tool without a function name', { messages: roundTrip, tools: [{ type: 'function', function: { description: 'x' } }] }, 'tools[0].function.name'],
    ['a tool name with spaces', { messages: roundTrip, tools: [{ type: 'function', function: { name: 'get weather' } }] }, 'tools[0].function.name'],
    ['tool parameters that are not an object', { messages: roundTrip, tools: [{ type: 'function', function: { name: 'f', parameters: 'x' } }] }, 'tools[0].function.parameters'],
    ['an unknown tool_choice', { messages: roundTrip, tools: [weatherTool], tool_choice: 'always' }, 'tool_choice'],
    ['tool_choice naming a function not in tools', { messages: roundTrip, tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'other' } } }, 'tool_choice'],
    ['tool_choice required without tools', { messages: roundTrip, tool_choice: 'required' }, 'tool_choice'],
    ['parallel_tool_calls that is not a boolean', { messages: roundTrip, tools: [weatherTool], parallel_tool_calls: 'yes' }, 'parallel_tool_calls'],
  ])('rejects %s', (_case, fields, param) => {
    const issue = firstIssue({ model: 'mock/echo', ...fields });
    expect(issue?.param).toBe(param);
    expect(issue?.message.length).toBeGreaterThan(0);
  });
});

describe('the prompt as the token estimate sees it', () => {
  it('counts tool definitions and the tool calls of assistant messages, not only message text', () => {
    const request = ChatCompletionRequestSchema.parse({
      model: 'mock/echo',
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '18 C' },
      ],
    });
    const prompt = promptForEstimate(request);
    expect(prompt).toHaveLength(4);
    expect(prompt[0]).toEqual({ role: 'system', content: expect.stringContaining('"get_weather"') });
    expect(prompt[2]).toEqual({ role: 'assistant', content: ' get_weather({"city":"Paris"})' });
    expect(prompt.map((m) => m.content)).toContain('18 C');
  });

  it('is the messages alone when there are no tools', () => {
    const request = ChatCompletionRequestSchema.parse({ model: 'mock/echo', messages: [{ role: 'user', content: 'Hi' }] });
    expect(promptForEstimate(request)).toEqual([{ role: 'user', content: 'Hi' }]);
  });
});

/** Seeded PRNG (mulberry32): the generated bodies are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values that sit on or beside the schema's bounds and types, for any field. */
const ODD_VALUES: unknown[] = [undefined, null, 0, -1, 1, 0.5, 2, 2.0001, 1.0001, 64, 1e21, 2 ** 53, -0, '', 'x', 'x'.repeat(256), 'x'.repeat(257), true, false, [], ['a'], {}, { include_usage: true }, { include_usage: 'yes' }];

function generatedBody(random: () => number): unknown {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const maybe = (p: number): boolean => random() < p;
  const message = (): unknown => {
    if (maybe(0.03)) return pick([null, 'hi', [], 7]);
    const m: Record<string, unknown> = { role: maybe(0.85) ? pick(['system', 'developer', 'user', 'assistant']) : pick(['tool', 'bot', '', null]) };
    if (maybe(0.93)) m['content'] = maybe(0.85) ? pick(['Hello', '', 'Say hi in one sentence.', 'é😀']) : pick([null, 7, [], [{ type: 'text', text: 'a' }], { text: 'a' }]);
    if (maybe(0.1)) m['name'] = pick(['alice', 'x'.repeat(256), 'x'.repeat(257), 5]);
    if (maybe(0.05)) m['tool_calls'] = pick([[], [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }]]);
    if (maybe(0.05)) m['tool_call_id'] = pick(['c1', '']);
    if (maybe(0.05)) m['extra_field'] = pick([1, 'a', null]);
    return m;
  };
  const body: Record<string, unknown> = {};
  if (maybe(0.95)) body['model'] = maybe(0.85) ? pick(['mock/echo', 'gpt-4o', 'm']) : pick(ODD_VALUES);
  if (maybe(0.95)) body['messages'] = maybe(0.95) ? Array.from({ length: pick([0, 1, 1, 2, 3, 5]) }, message) : pick(ODD_VALUES);
  const fields = ['max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stream', 'stream_options', 'user', 'stop', 'n', 'tools', 'tool_choice', 'parallel_tool_calls', 'seed', 'metadata'];
  for (const field of fields) if (maybe(0.12)) body[field] = pick(ODD_VALUES);
  // A JSON body can carry an own "__proto__" key; only JSON.parse makes one.
  return maybe(0.04) ? JSON.parse(`{"__proto__":{"a":1},${JSON.stringify(body).slice(1)}`) : body;
}

describe('the plain-request check that skips zod on the hot path', () => {
  it('accepts only bodies the schema accepts, and exactly as the schema returns them', () => {
    const random = seeded(20261206);
    let plain = 0;
    let leftToZod = 0;
    for (let i = 0; i < 20_000; i++) {
      const body = generatedBody(random);
      const parsed = ChatCompletionRequestSchema.safeParse(body);
      if (isPlainChatRequest(body)) {
        plain++;
        if (!parsed.success) throw new Error(`accepted a body the schema rejects: ${JSON.stringify(body)}: ${parsed.error.issues[0]?.message}`);
        expect(body).toEqual(parsed.data);
      } else if (parsed.success) {
        leftToZod++;
      }
    }
    // The generator reaches both sides: plain bodies, and valid ones the check leaves to zod.
    expect(plain).toBeGreaterThan(1000);
    expect(leftToZod).toBeGreaterThan(200);
  });

  it('takes the request the openai SDK sends for a plain chat, streamed or not', () => {
    const request = { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi', name: 'alice' }], max_tokens: 64, temperature: 0.2, top_p: 1, user: 'u-1', metadata: { team: 'a' } };
    expect(isPlainChatRequest(request)).toBe(true);
    expect(isPlainChatRequest({ ...request, stream: true, stream_options: { include_usage: true } })).toBe(true);
    expect(isPlainChatRequest({ ...request, stream: true, stream_options: null })).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['null max_tokens', { max_tokens: null }, 'max_tokens'],
    ['max_tokens 0', { max_tokens: 0 }, 'max_tokens'],
    ['fractional max_completion_tokens', { max_completion_tokens: 1.5 }, 'max_completion_tokens'],
    ['temperature above 2', { temperature: 2.5 }, 'temperature'],
    ['top_p as a string', { top_p: '1' }, 'top_p'],
    ['stream as a string', { stream: 'true' }, 'stream'],
    ['stream_options.include_usage as a string', { stream_options: { include_usage: 'yes' } }, 'stream_options.include_usage'],
    ['a 257-character user', { user: 'u'.repeat(257) }, 'user'],
    ['an empty model', { model: '' }, 'model'],
    ['no messages', { messages: [] }, 'messages'],
    ['a message of an unknown role', { messages: [{ role: 'bot', content: 'x' }] }, 'messages[0].role'],
  ])('leaves %s to zod, which answers with its param', (_case, fields, param) => {
    const body = { model: 'mock/echo', messages: [{ role: 'user', content: 'x' }], ...fields };
    expect(isPlainChatRequest(body)).toBe(false);
    let thrown: unknown;
    try {
      parseChatCompletionRequest(body);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OpenAiHttpError);
    expect((thrown as OpenAiHttpError).getStatus()).toBe(400);
    expect((thrown as OpenAiHttpError).getResponse()).toEqual({ error: expect.objectContaining({ param, type: 'invalid_request_error' }) });
  });
});
