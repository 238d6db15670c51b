import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { freePort } from '@tollgate/persistence';
import { generateApiKey } from '@tollgate/platform';
import { expectEventually, startAppProcess } from '@tollgate/testing';
import type { AppProcess } from '@tollgate/testing';

const ENTRY = 'dist/apps/all-in-one/src/main.js';

interface CostLogPage {
  object: 'list';
  data: Array<{ call_id: string; provider: string; model: string; input_tokens: number; output_tokens: number; usd_cost: string | null; price_status: string; outcome: string; agent_id: string | null }>;
  next_cursor: string | null;
}

describe('all-in-one Tollgate (built app, real HTTP, official openai client)', () => {
  let dataDir: string;
  let app: AppProcess;
  let client: OpenAI;
  const key = generateApiKey();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-e2e-'));
    await chmod(dataDir, 0o755); // as root, the embedded PostgreSQL runs as `postgres` and must reach it
    app = await startAppProcess(ENTRY, { TOLLGATE_DATA_DIR: dataDir, TOLLGATE_BOOTSTRAP_KEY: key, LOG_LEVEL: 'warn' }, { port: await freePort(), readyTimeoutMs: 45_000 });
    client = new OpenAI({ apiKey: key, baseURL: `${app.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await app?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const costLogs = async (query = ''): Promise<CostLogPage> => {
    const res = await fetch(`${app.url}/api/v1/cost-logs${query}`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as CostLogPage;
  };

  it('answers a chat completion and records its cost, readable over HTTP', async () => {
    const { data: completion, response } = await client.chat.completions
      .create({ model: 'mock/echo', messages: [{ role: 'user', content: 'Hello from the e2e test' }] }, { headers: { 'x-tollgate-agent-id': 'e2e-agent' } })
      .withResponse();
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0].message.content).toBe('Hello from the e2e test');
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
    expect(response.headers.get('x-request-id')).toBeTruthy();
    // Idle keep-alive connections live past a load balancer's 60 s (TOLLGATE_HTTP_KEEP_ALIVE_TIMEOUT_MS), not Node's 5 s.
    expect(response.headers.get('keep-alive')).toBe('timeout=65');
    const callId = response.headers.get('x-tollgate-call-id');
    expect(callId).toBeTruthy();

    const row = await expectEventually(async () => {
      const found = (await costLogs()).data.find((r) => r.call_id === callId);
      if (!found) throw new Error(`no cost row for ${callId} yet`);
      return found;
    });
    // mock/echo costs $1.00 per million input tokens and $2.00 per million output tokens.
    const expectedMicro = row.input_tokens * 1 + row.output_tokens * 2;
    expect(row).toMatchObject({
      provider: 'mock',
      model: 'echo',
      input_tokens: completion.usage?.prompt_tokens,
      output_tokens: completion.usage?.completion_tokens,
      price_status: 'priced',
      outcome: 'ok',
      agent_id: 'e2e-agent',
    });
    expect(Math.round(Number(row.usd_cost) * 1e6)).toBe(expectedMicro);
  });

  it('lists the models the key may use', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('mock/echo');
  });

  it('refuses a missing or wrong key with 401 in the OpenAI error shape', async () => {
    const wrong = new OpenAI({ apiKey: 'tg-wrong-key-000000000000000000', baseURL: `${app.url}/v1`, maxRetries: 0 });
    await expect(wrong.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 401,
      type: 'authentication_error',
      code: 'invalid_api_key',
    });
    const res = await fetch(`${app.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: 'authentication_error', code: 'missing_api_key' } });
  });

  it('answers malformed JSON, wrong types, empty messages and unknown models with 4xx in the OpenAI shape', async () => {
    const post = (body: string) =>
      fetch(`${app.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
    const malformed = await post('{"model": "mock/echo", "messages": [');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: { message: expect.stringContaining('JSON'), type: 'invalid_request_error', param: null, code: 'invalid_json' } });

    await expect(client.chat.completions.create({ model: 'mock/echo', messages: [] })).rejects.toMatchObject({ status: 400, param: 'messages' });
    await expect(client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' as unknown as number })).rejects.toMatchObject({ status: 400, param: 'temperature' });
    await expect(client.chat.completions.create({ model: 'mock/nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('refuses a body over the size limit with 413 in the OpenAI shape', async () => {
    const res = await fetch(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'x'.repeat(5 * 1024 * 1024) }] }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'request_too_large' } });
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { 'database:guardrails': 'ok', 'database:cost-ledger': 'ok', 'api-keys': 'ok' } });
    const metrics = await fetch(`${app.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    // Chat calls (self-traced fast path) and framework routes share one http.server.request.duration family.
    const page = await metrics.text();
    expect(page.match(/^# TYPE http_server_request_duration histogram$/gm)).toHaveLength(1);
    expect(page).toMatch(/^http_server_request_duration_count\{[^}]*http_route="\/v1\/chat\/completions"[^}]*\} [1-9]/m);
  });
});

describe('all-in-one first start without a configured key', () => {
  it('generates a key once, prints it, stores it hashed, and accepts it after a restart on the same data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-e2e-gen-'));
    await chmod(dataDir, 0o755);
    try {
      const port = await freePort();
      const first = await startAppProcess(ENTRY, { TOLLGATE_DATA_DIR: dataDir, LOG_LEVEL: 'log' }, { port });
      const printed = /Authorization: Bearer (tg-[A-Za-z0-9_-]+)/.exec(first.output());
      expect(printed).not.toBeNull();
      const generated = printed![1];
      expect(await first.stop()).toBe(0);

      const second = await startAppProcess(ENTRY, { TOLLGATE_DATA_DIR: dataDir, LOG_LEVEL: 'log' }, { port });
      try {
        expect(second.output()).not.toContain(generated);
        const client = new OpenAI({ apiKey: generated, baseURL: `${second.url}/v1`, maxRetries: 0 });
        const completion = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'still me' }] });
        expect(completion.choices[0].message.content).toBe('still me');
        const stored = spawnSync('grep', ['-rl', generated, resolve(dataDir)], { encoding: 'utf8' });
        expect(stored.stdout).toBe('');
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a bad setting and names the variable', async () => {
    const result = spawnSync(process.execPath, [ENTRY], { env: { ...process.env, NODE_OPTIONS: '', PORT: 'eighty', TOLLGATE_BOOTSTRAP_KEY: 'short' }, encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PORT: must be a port number');
    expect(result.stderr).toContain('TOLLGATE_BOOTSTRAP_KEY');
    expect(result.stderr).not.toContain('short');
  });
});
