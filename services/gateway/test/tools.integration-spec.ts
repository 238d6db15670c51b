import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import OpenAI from 'openai';
import { tenantWithKey } from '@tollgate/testing';
import { startGatewayTestApp } from './support/gateway-test-app';

/** Anthropic's recorded wire shapes, the same fixtures the adapter's own tests use. */
const ANTHROPIC_FIXTURES = join(__dirname, '../../../libs/providers/src/anthropic/fixtures');
const anthropicFixture = (name: string): string => readFileSync(join(ANTHROPIC_FIXTURES, name), 'utf8');

/** A stand-in for api.anthropic.com: records each Messages request, answers with the tool_use fixtures. */
async function startFakeAnthropic(): Promise<{ server: Server; url: string; bodies: Array<Record<string, unknown>> }> {
  const bodies: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      bodies.push(body);
      if (body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(anthropicFixture('message-stream-tool-use.sse'));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(anthropicFixture('message-tool-use-only.json'));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe('multi-turn tool calling through the gateway with the official openai client', () => {
  let app: INestApplication;
  let baseURL: string;
  let anthropic: Awaited<ReturnType<typeof startFakeAnthropic>>;
  const acme = tenantWithKey('ten_tools', { region: 'us' });
  const client = () => new OpenAI({ apiKey: acme.key, baseURL, maxRetries: 0 });

  beforeAll(async () => {
    anthropic = await startFakeAnthropic();
    process.env.TOLLGATE_TEST_ANTHROPIC_KEY = 'sk-ant-tools-test';
    const started = await startGatewayTestApp({
      TOLLGATE_DEPLOYMENTS: JSON.stringify([
        { id: 'echo-us', provider: 'mock', publicModel: 'mock/echo', model: 'echo', region: 'us' },
        { id: 'claude-us', provider: 'anthropic', publicModel: 'anthropic/claude-sonnet-4-5', model: 'claude-sonnet-4-5', region: 'us', baseUrl: anthropic.url, apiKeyEnv: 'TOLLGATE_TEST_ANTHROPIC_KEY' },
      ]),
      TOLLGATE_RETRY_BASE_MS: '1',
      TOLLGATE_RETRY_MAX_MS: '5',
    });
    ({ app, baseURL } = started);
    await started.addTenants(acme);
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => anthropic?.server.close(resolve));
    delete process.env.TOLLGATE_TEST_ANTHROPIC_KEY;
  });

  it('runs a two-turn tool call: tool_calls from the mock, then the tool result gets a text answer', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    // The mock's hook is not an OpenAI field: the client sends it as an extra body field.
    const first = await client().chat.completions.create({
      model: 'mock/echo',
      messages,
      tools: [weatherTool],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      mock: { tool_call: { arguments: { city: 'Paris' } } },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const choice = first.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([{ id: expect.stringMatching(/^call_mock_/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);

    const call = choice.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    const args = JSON.parse(call.function.arguments) as { city: string };
    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: `${args.city}: 18 C, cloudy` });
    const second = await client().chat.completions.create({ model: 'mock/echo', messages, tools: [weatherTool] });
    expect(second.choices[0].finish_reason).toBe('stop');
    expect(second.choices[0].message.content).toBe('tool result Paris: 18 C, cloudy');
    expect(second.choices[0].message.tool_calls).toBeUndefined();
  });

  it('streams tool-call deltas in order, which the client assembles into the same call', async () => {
    const body = { model: 'mock/echo', messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], mock: { tool_call: { arguments: { city: 'Paris', unit: 'celsius' } } } };
    const json = await client().chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const stream = await client().chat.completions.create({ ...body, stream: true } as OpenAI.ChatCompletionCreateParamsStreaming);
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(deltas[0]).toEqual({ index: 0, id: json.choices[0].message.tool_calls![0].id, type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.map((d) => d.function?.arguments ?? '').join('')).toBe('{"city":"Paris","unit":"celsius"}');
  });

  it('answers 400 in the OpenAI shape, naming the param, for a tool message that answers no tool call', async () => {
    const res = await fetch(`${baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acme.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'ok' }, { role: 'tool', tool_call_id: 'call_nope', content: '1' }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { message: expect.stringContaining('messages[2].tool_call_id'), type: 'invalid_request_error', param: 'messages[2].tool_call_id', code: expect.anything() } });
  });

  it('translates a tool round trip to Anthropic and tool_use answers back, JSON and stream', async () => {
    const toolCall = { id: 'toolu_01A09q90qw90lq917835lq9', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [toolCall] },
      { role: 'tool', tool_call_id: toolCall.id, content: '18 C' },
    ];
    const reply = await client().chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages, tools: [weatherTool], tool_choice: 'required' });
    expect(anthropic.bodies.at(-1)).toMatchObject({
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: toolCall.id, name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolCall.id, content: '18 C' }] },
      ],
      tools: [{ name: 'get_weather', input_schema: weatherTool.function.parameters }],
      tool_choice: { type: 'any' },
    });
    expect(reply.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { content: null } });
    expect(reply.choices[0].message.tool_calls?.map((c) => (c as OpenAI.ChatCompletionMessageFunctionToolCall).function)).toEqual([
      { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
      { name: 'get_weather', arguments: '{"city":"Lyon","unit":"celsius"}' },
    ]);

    const stream = await client().chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages: messages.slice(0, 1), tools: [weatherTool], stream: true });
    let text = '';
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('Let me check the weather.');
    expect(deltas).toEqual([
      { index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 0, function: { arguments: '{"city": "Par' } },
      { index: 0, function: { arguments: 'is"}' } },
    ]);
    expect(finish).toBe('tool_calls');
  });
});
