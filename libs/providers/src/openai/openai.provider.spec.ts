import { deployment, drain, FakeUpstream, fixture, json, sse } from '../../test/fake-upstream';
import { createProvider } from '../create-provider';
import { ProviderError } from '../provider';
import type { ChatProvider, ProviderChatRequest, ProviderStreamEvent } from '../provider';

const env = { OPENAI_TEST_KEY: 'sk-test-openai-0123456789', AZURE_TEST_KEY: 'azure-test-key-abcdef', VLLM_TEST_KEY: 'vllm-key-42' };
const signal = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });
const read = (name: string): string => fixture(__dirname, name);

const request: ProviderChatRequest = {
  model: 'o4-mini',
  messages: [
    { role: 'developer', content: 'Answer in one sentence.' },
    { role: 'user', content: 'What is the capital of France?', name: 'alice' },
  ],
  maxTokens: 400,
  temperature: 0.2,
  topP: 0.9,
  stop: ['\n\n'],
  user: 'end-user-7',
  extra: { seed: 7, response_format: { type: 'text' }, mock: { fail_status: 500 } },
};

describe('OpenAI adapter', () => {
  let upstream: FakeUpstream;
  let provider: ChatProvider;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    provider = createProvider(deployment({ provider: 'openai', baseUrl: `${upstream.url}/v1`, apiKeyEnv: 'OPENAI_TEST_KEY', model: 'o4-mini' }), env);
  });
  afterAll(async () => {
    await provider.close?.();
    await upstream.close();
  });

  it('sends the chat request with bearer auth and passes extra fields through, except the mock hook', async () => {
    upstream.answer(json(200, read('chat-completion.json')));
    await provider.complete(request, signal());
    const sent = upstream.lastRequest;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-test-openai-0123456789');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.body).toEqual({
      model: 'o4-mini',
      messages: [
        { role: 'developer', content: 'Answer in one sentence.' },
        { role: 'user', content: 'What is the capital of France?', name: 'alice' },
      ],
      max_completion_tokens: 400,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['\n\n'],
      user: 'end-user-7',
      seed: 7,
      response_format: { type: 'text' },
    });
  });

  it('reads content, finish reason and usage with cached and reasoning tokens', async () => {
    upstream.answer(json(200, read('chat-completion.json')));
    const reply = await provider.complete(request, signal());
    expect(reply).toEqual({
      id: 'chatcmpl-CbQ7xLr0nC4hY2cP9sKt1vWmE3aZq',
      model: 'o4-mini-2025-04-16',
      content: 'The capital of France is Paris.',
      finishReason: 'stop',
      usage: { inputTokens: 2006, outputTokens: 300, cachedReadTokens: 1920, cacheWriteTokens: 0, reasoningTokens: 192 },
      usageSource: 'provider',
    });
  });

  it('passes tool calls back as extra message fields', async () => {
    upstream.answer(json(200, read('chat-completion-tool-calls.json')));
    const reply = await provider.complete(request, signal());
    expect(reply.content).toBe('');
    expect(reply.finishReason).toBe('tool_calls');
    expect(reply.extraMessageFields).toEqual({
      // The client gets OpenAI's content: null back, not the ''.
      content: null,
      tool_calls: [{ id: 'call_Qm3sd7HkV9zN2bLpX0aRt4Ew', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } }],
    });
  });

  it('passes tools, tool_choice, parallel_tool_calls, assistant tool_calls and tool messages through intact', async () => {
    upstream.answer(json(200, read('chat-completion.json')));
    const toolCall = { id: 'call_Qm3sd7HkV9zN2bLpX0aRt4Ew', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } };
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } }];
    await provider.complete(
      {
        model: 'o4-mini',
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: null, tool_calls: [toolCall] },
          { role: 'tool', tool_call_id: toolCall.id, content: '{"temperature":18}' },
        ],
        extra: { tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, parallel_tool_calls: false },
      },
      signal(),
    );
    expect(upstream.lastRequest.body).toEqual({
      model: 'o4-mini',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [toolCall] },
        { role: 'tool', tool_call_id: toolCall.id, content: '{"temperature":18}' },
      ],
      tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
    });
  });

  it('always asks for the usage chunk when streaming, keeping the client’s other stream options', async () => {
    upstream.answer(sse(read('chat-completion-stream.sse')));
    await drain(provider.stream({ ...request, extra: { stream_options: { include_obfuscation: false } } }, signal()));
    expect(upstream.lastRequest.body).toMatchObject({ stream: true, stream_options: { include_obfuscation: false, include_usage: true } });
    await drain(provider.stream({ ...request, extra: { stream_options: { include_usage: false } } }, signal()));
    expect(upstream.lastRequest.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(upstream.lastRequest.headers.accept).toBe('text/event-stream');
  });

  it('streams deltas, then a finish built from the usage chunk', async () => {
    upstream.answer(sse(read('chat-completion-stream.sse')));
    const { events, error } = await drain(provider.stream(request, signal()));
    expect(error).toBeUndefined();
    const deltas = events.filter((e): e is Extract<ProviderStreamEvent, { type: 'delta' }> => e.type === 'delta');
    expect(deltas.map((d) => d.content).join('')).toBe('The capital of France is Paris.');
    expect(deltas).toHaveLength(7);
    expect(events.at(-1)).toEqual({
      type: 'finish',
      id: 'chatcmpl-CbQBb8yN1kJ5sVt7Wq0eRz3LpMx2D',
      model: 'o4-mini-2025-04-16',
      finishReason: 'stop',
      usage: { inputTokens: 2006, outputTokens: 300, cachedReadTokens: 1920, cacheWriteTokens: 0, reasoningTokens: 192 },
      usageSource: 'provider',
    });
  });

  it('fails a stream whose chunk is not JSON with a server_error, after the deltas before it', async () => {
    upstream.answer(sse('data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Par"}}]}\n\ndata: {"id":"c1","choices":[{\n\ndata: [DONE]\n\n'));
    const { events, error } = await drain(provider.stream(request, signal()));
    expect(events).toEqual([{ type: 'delta', content: 'Par' }]);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).errorClass).toBe('server_error');
    expect((error as Error).message).toContain('sent a stream chunk that is not JSON');
  });

  it('streams tool-call deltas in raw, in OpenAI’s chunk shape', async () => {
    upstream.answer(sse(read('chat-completion-stream-tool-calls.sse')));
    const { events } = await drain(provider.stream(request, signal()));
    const raws = events.flatMap((e) => (e.type === 'delta' && e.raw ? [e.raw] : []));
    expect(raws[0]).toEqual({ tool_calls: [{ index: 0, id: 'call_Qm3sd7HkV9zN2bLpX0aRt4Ew', type: 'function', function: { name: 'get_weather', arguments: '' } }] });
    const args = raws.slice(1).map((r) => (r.tool_calls as { function: { arguments: string } }[])[0].function.arguments);
    expect(args.join('')).toBe('{"city":"Paris"}');
    expect(events.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool_calls', usage: { inputTokens: 82, outputTokens: 18 } });
  });

  it('posts embeddings and returns the vectors in input order with usage', async () => {
    upstream.answer(json(200, read('embeddings.json')));
    const reply = await provider.embed?.({ model: 'text-embedding-3-small', input: ['hello', 'world'], dimensions: 4, user: 'u1' }, signal());
    expect(upstream.lastRequest.path).toBe('/v1/embeddings');
    expect(upstream.lastRequest.headers.authorization).toBe('Bearer sk-test-openai-0123456789');
    expect(upstream.lastRequest.body).toEqual({ model: 'text-embedding-3-small', input: ['hello', 'world'], encoding_format: 'float', dimensions: 4, user: 'u1' });
    expect(reply).toEqual({
      model: 'text-embedding-3-small',
      embeddings: [
        [0.0023064255, -0.009327292, 0.015797347, -0.0077780345],
        [-0.012085423, 0.0049327198, 0.0082341055, 0.020133425],
      ],
      usage: { inputTokens: 9 },
    });
  });
});

describe('Azure OpenAI adapter', () => {
  let upstream: FakeUpstream;
  let provider: ChatProvider;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    provider = createProvider(deployment({ provider: 'azure-openai', baseUrl: upstream.url, apiKeyEnv: 'AZURE_TEST_KEY', model: 'gpt-4o-eu', region: 'eu' }), env);
  });
  afterAll(async () => {
    await provider.close?.();
    await upstream.close();
  });

  it('calls the deployment URL with the default GA api-version and the api-key header', async () => {
    upstream.answer(json(200, read('azure-chat-completion.json')));
    const reply = await provider.complete({ model: 'gpt-4o-eu', messages: [{ role: 'user', content: 'Say hello' }], maxTokens: 2 }, signal());
    const sent = upstream.lastRequest;
    expect(sent.path).toBe('/openai/deployments/gpt-4o-eu/chat/completions?api-version=2024-10-21');
    expect(sent.headers['api-key']).toBe('azure-test-key-abcdef');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({ model: 'gpt-4o-eu', messages: [{ role: 'user', content: 'Say hello' }], max_completion_tokens: 2 });
    expect(reply).toMatchObject({ content: 'Bonjour from', finishReason: 'length', usage: { inputTokens: 1290, cachedReadTokens: 1152, outputTokens: 2 } });
  });

  it('honours a configured api-version and streams past the prompt-filter chunk', async () => {
    const pinned = createProvider(deployment({ provider: 'azure-openai', baseUrl: upstream.url, apiKeyEnv: 'AZURE_TEST_KEY', apiVersion: '2025-04-01-preview', region: 'eu' }), env);
    try {
      upstream.answer(sse(read('azure-chat-completion-stream.sse')));
      const { events, error } = await drain(pinned.stream({ model: 'gpt-4o-eu', messages: [{ role: 'user', content: 'Say hello' }] }, signal()));
      expect(error).toBeUndefined();
      expect(upstream.lastRequest.path).toBe('/openai/deployments/gpt-4o-eu/chat/completions?api-version=2025-04-01-preview');
      expect(events.flatMap((e) => (e.type === 'delta' ? [e.content] : [])).join('')).toBe('Bonjour from Azure.');
      expect(events.at(-1)).toMatchObject({ type: 'finish', model: 'gpt-4o-2024-11-20', usage: { inputTokens: 1290, cachedReadTokens: 1152, outputTokens: 5 } });
    } finally {
      await pinned.close?.();
    }
  });

  it('posts embeddings to the deployment URL', async () => {
    upstream.answer(json(200, read('embeddings.json')));
    await provider.embed?.({ model: 'embed-eu', input: ['a', 'b'] }, signal());
    expect(upstream.lastRequest.path).toBe('/openai/deployments/embed-eu/embeddings?api-version=2024-10-21');
    expect(upstream.lastRequest.headers['api-key']).toBe('azure-test-key-abcdef');
  });
});

describe('OpenAI-compatible adapter (vLLM, Ollama)', () => {
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
  });
  afterAll(async () => {
    await upstream.close();
  });

  it('uses the base URL, max_tokens and system in place of developer, with no auth when no key is configured', async () => {
    const provider = createProvider(deployment({ provider: 'openai-compatible', baseUrl: `${upstream.url}/v1`, model: 'llama3.1:8b' }), env);
    try {
      upstream.answer(json(200, read('chat-completion.json')));
      await provider.complete({ ...request, model: 'llama3.1:8b' }, signal());
      expect(upstream.lastRequest.path).toBe('/v1/chat/completions');
      expect(upstream.lastRequest.headers.authorization).toBeUndefined();
      expect(upstream.lastRequest.body).toMatchObject({ model: 'llama3.1:8b', max_tokens: 400, messages: [{ role: 'system', content: 'Answer in one sentence.' }, { role: 'user' }] });
      expect(provider.providerName).toBe('openai-compatible');
    } finally {
      await provider.close?.();
    }
  });

  it('sends a configured key as a bearer token', async () => {
    const provider = createProvider(deployment({ provider: 'openai-compatible', baseUrl: `${upstream.url}/v1`, apiKeyEnv: 'VLLM_TEST_KEY' }), env);
    try {
      upstream.answer(json(200, read('chat-completion.json')));
      await provider.complete(request, signal());
      expect(upstream.lastRequest.headers.authorization).toBe('Bearer vllm-key-42');
    } finally {
      await provider.close?.();
    }
  });

  it('estimates usage when the server reports none, and says so', async () => {
    const provider = createProvider(deployment({ provider: 'openai-compatible', baseUrl: `${upstream.url}/v1` }), env);
    try {
      upstream.answer(json(200, { id: 'cmpl-1', model: 'llama', choices: [{ index: 0, message: { role: 'assistant', content: 'Paris.' }, finish_reason: 'stop' }] }));
      const reply = await provider.complete({ model: 'llama', messages: [{ role: 'user', content: 'Capital of France?' }] }, signal());
      // 18 bytes → 5 tokens + 4 framing + 3 priming; 'Paris.' → 2.
      expect(reply.usage).toEqual({ inputTokens: 12, outputTokens: 2, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
      expect(reply.usageSource).toBe('estimated');

      upstream.answer(sse('data: {"id":"c","model":"llama","choices":[{"index":0,"delta":{"content":"Paris."},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'));
      const { events } = await drain(provider.stream({ model: 'llama', messages: [{ role: 'user', content: 'Capital of France?' }] }, signal()));
      expect(events.at(-1)).toMatchObject({ type: 'finish', usageSource: 'estimated', usage: { inputTokens: 12, outputTokens: 2 } });
    } finally {
      await provider.close?.();
    }
  });

  it('reports the provider’s own cost when the server sends one', async () => {
    const provider = createProvider(deployment({ provider: 'openai-compatible', baseUrl: `${upstream.url}/v1` }), env);
    try {
      upstream.answer(json(200, { id: 'gen-1', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 1, cost: 0.000123 } }));
      const reply = await provider.complete({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, signal());
      expect(reply.providerCostUsd).toBe('0.000123');
    } finally {
      await provider.close?.();
    }
  });
});
