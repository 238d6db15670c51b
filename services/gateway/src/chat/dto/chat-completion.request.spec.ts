import { ChatCompletionRequestSchema, paramPath, promptForEstimate } from './chat-completion.request';

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
