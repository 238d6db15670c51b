import { ProviderError } from '../provider';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANTHROPIC_DEFAULT_MAX_TOKENS, AnthropicStreamTranslator, finishReasonFromAnthropic, fromAnthropicMessage, toAnthropicRequest, usageFromAnthropic } from './anthropic-translation';
import type { AnthropicStreamEvent } from './anthropic-translation';

describe('chat → Anthropic Messages', () => {
  it('moves system and developer messages to system, merges same-role turns, and maps the sampling fields', () => {
    const body = toAnthropicRequest(
      {
        model: 'claude-sonnet-4-5',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'developer', content: 'Answer in French.' },
          { role: 'user', content: 'Hello' },
          { role: 'user', content: 'What is the capital of France?' },
          { role: 'assistant', content: null },
          { role: 'assistant', content: 'Paris.' },
          { role: 'tool', content: '{"temp": 18}' },
          { role: 'user', content: 'And the weather?' },
        ],
        maxTokens: 256,
        temperature: 0.3,
        topP: 0.8,
        stop: ['END'],
        user: 'user-42',
      },
      false,
    );
    expect(body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      system: 'You are terse.\n\nAnswer in French.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hello' },
            { type: 'text', text: 'What is the capital of France?' },
          ],
        },
        { role: 'assistant', content: 'Paris.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: '{"temp": 18}' },
            { type: 'text', text: 'And the weather?' },
          ],
        },
      ],
      temperature: 0.3,
      top_p: 0.8,
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
    });
  });

  it('defaults max_tokens, caps temperature at Anthropic’s 1, and asks for a stream', () => {
    const body = toAnthropicRequest({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }], temperature: 1.6 }, true);
    expect(body).toEqual({ model: 'claude-haiku-4-5', max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS, messages: [{ role: 'user', content: 'hi' }], temperature: 1, stream: true });
    expect(ANTHROPIC_DEFAULT_MAX_TOKENS).toBe(4096);
  });

  it('translates OpenAI function tools and tool_choice, and drops fields Anthropic has no equivalent for', () => {
    const body = toAnthropicRequest(
      {
        model: 'claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        extra: {
          tools: [
            { type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
            { type: 'function', function: { name: 'now' } },
          ],
          tool_choice: { type: 'function', function: { name: 'get_weather' } },
          response_format: { type: 'json_object' },
          seed: 1,
        },
      },
      false,
    );
    expect(body.tools).toEqual([
      { name: 'get_weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      { name: 'now', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'get_weather' });
    expect(body).not.toHaveProperty('response_format');
    expect(body).not.toHaveProperty('seed');
    const required = toAnthropicRequest({ model: 'm', messages: [], extra: { tools: [{ type: 'function', function: { name: 'x' } }], tool_choice: 'required' } }, false);
    expect(required.tool_choice).toEqual({ type: 'any' });
  });
});

describe('tool calling, chat → Messages', () => {
  const call = (id: string, args: string) => ({ id, type: 'function' as const, function: { name: 'get_weather', arguments: args } });
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

  it('turns assistant tool_calls into tool_use blocks and tool messages into one user turn of tool_result blocks', () => {
    const body = toAnthropicRequest(
      {
        model: 'claude-sonnet-4-5',
        messages: [
          { role: 'user', content: 'Weather in Paris and Lyon?' },
          { role: 'assistant', content: null, tool_calls: [call('toolu_1', '{"city":"Paris"}'), call('toolu_2', '')] },
          { role: 'tool', tool_call_id: 'toolu_1', content: '18 C' },
          { role: 'tool', tool_call_id: 'toolu_2', content: '' },
          { role: 'user', content: 'Which is warmer?' },
        ],
        extra: { tools },
      },
      false,
    );
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Lyon?' },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          // OpenAI allows empty arguments for a function without parameters; Anthropic wants an object.
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '18 C' },
          { type: 'tool_result', tool_use_id: 'toolu_2' },
          { type: 'text', text: 'Which is warmer?' },
        ],
      },
    ]);
  });

  it('turns parallel_tool_calls: false into disable_parallel_tool_use', () => {
    const ask = (extra: Record<string, unknown>) => toAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], extra: { tools, ...extra } }, false).tool_choice;
    expect(ask({ parallel_tool_calls: false })).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(ask({ parallel_tool_calls: false, tool_choice: 'required' })).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(ask({ parallel_tool_calls: false, tool_choice: 'none' })).toEqual({ type: 'none' });
    expect(ask({ parallel_tool_calls: true })).toBeUndefined();
  });

  it('refuses arguments that are not a JSON object as a client error naming the message', () => {
    const translate = () => toAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [call('toolu_1', '{"city": "Par')] }] }, false);
    expect(translate).toThrow(ProviderError);
    expect(translate).toThrow(expect.objectContaining({ errorClass: 'client_error', status: 400 }));
    expect(translate).toThrow(/messages\[1\]\.tool_calls\[0\]\.function\.arguments/);
  });
});

describe('tool calling, Messages → chat', () => {
  const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

  it('turns text and tool_use blocks into content and tool_calls with JSON-string arguments', () => {
    const reply = fromAnthropicMessage(JSON.parse(fixture('message-tool-use.json')), 'claude');
    expect(reply).toMatchObject({ content: "I'll check the current weather in Paris.", finishReason: 'tool_calls' });
    expect(reply.extraMessageFields).toEqual({
      tool_calls: [{ id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } }],
    });
  });

  it('streams content_block_start tool_use and input_json_delta as tool_calls deltas: index, id, name, then argument fragments', () => {
    const translator = new AnthropicStreamTranslator('anthropic deployment "x"', 'claude');
    const events = fixture('message-stream-tool-use.sse')
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => translator.next(JSON.parse(line.slice(6)) as AnthropicStreamEvent))
      .filter((event) => event !== undefined);
    expect(events).toEqual([
      { type: 'delta', content: 'Let me check the weather.' },
      { type: 'delta', content: '', raw: { tool_calls: [{ index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '' } }] } },
      { type: 'delta', content: '', raw: { tool_calls: [{ index: 0, function: { arguments: '{"city": "Par' } }] } },
      { type: 'delta', content: '', raw: { tool_calls: [{ index: 0, function: { arguments: 'is"}' } }] } },
      expect.objectContaining({ type: 'finish', finishReason: 'tool_calls' }),
    ]);
  });
});

describe('Anthropic usage → OpenAI convention', () => {
  // Anthropic's input_tokens excludes cache reads and writes; OpenAI's prompt_tokens includes them.
  it.each([
    ['no caching', { input_tokens: 100, output_tokens: 20 }, { inputTokens: 100, cachedReadTokens: 0, cacheWriteTokens: 0, outputTokens: 20 }],
    ['cache write only', { input_tokens: 21, cache_creation_input_tokens: 188, cache_read_input_tokens: 0, output_tokens: 12 }, { inputTokens: 209, cachedReadTokens: 0, cacheWriteTokens: 188, outputTokens: 12 }],
    ['cache read only', { input_tokens: 21, cache_creation_input_tokens: 0, cache_read_input_tokens: 1800, output_tokens: 12 }, { inputTokens: 1821, cachedReadTokens: 1800, cacheWriteTokens: 0, outputTokens: 12 }],
    ['read and write', { input_tokens: 21, cache_creation_input_tokens: 188, cache_read_input_tokens: 1800, output_tokens: 12 }, { inputTokens: 2009, cachedReadTokens: 1800, cacheWriteTokens: 188, outputTokens: 12 }],
    ['null cache fields', { input_tokens: 5, cache_creation_input_tokens: null, cache_read_input_tokens: null, output_tokens: 1 }, { inputTokens: 5, cachedReadTokens: 0, cacheWriteTokens: 0, outputTokens: 1 }],
  ])('%s', (_case, anthropic, expected) => {
    expect(usageFromAnthropic(anthropic)).toEqual({ ...expected, reasoningTokens: 0 });
  });
});

describe('Anthropic stop reasons', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    [null, 'stop'],
  ])('%s → %s', (anthropic, chat) => {
    expect(finishReasonFromAnthropic(anthropic)).toBe(chat);
  });
});

describe('AnthropicStreamTranslator', () => {
  it('classifies error events by Anthropic’s error type', () => {
    const translator = new AnthropicStreamTranslator('anthropic deployment "x"', 'claude');
    const thrown = (type: string): unknown => {
      try {
        translator.next({ type: 'error', error: { type, message: 'boom' } });
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(thrown('overloaded_error')).toMatchObject({ errorClass: 'server_error', status: 529, retryable: true });
    expect(thrown('api_error')).toMatchObject({ errorClass: 'server_error', status: 500 });
    expect(thrown('rate_limit_error')).toMatchObject({ errorClass: 'rate_limited', status: 429 });
    expect(thrown('invalid_request_error')).toMatchObject({ errorClass: 'client_error', status: 400, retryable: false });
    expect(thrown('something_new')).toBeInstanceOf(ProviderError);
    expect(thrown('something_new')).toMatchObject({ errorClass: 'server_error' });
  });
});
