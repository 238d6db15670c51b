import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { freePort } from '@tollgate/persistence';
import { generateApiKey } from '@tollgate/platform';
import { expectEventually, startAppProcess } from '@tollgate/testing';
import type { AppProcess } from '@tollgate/testing';

const ENTRY = 'dist/apps/all-in-one/src/main.js';

interface CostRow {
  call_id: string;
  usd_cost: string | null;
  outcome: string;
  input_tokens: number;
  output_tokens: number;
}

/** 400 ASCII bytes: the mock echoes it back, so every call uses the same tokens. */
const PROMPT = 'budget '.repeat(57) + 'x';
/** mock/echo counts UTF-8 bytes / 4: the echoed answer is exactly this many tokens, so max_tokens = the answer and each call costs exactly its estimate. */
const OUTPUT_TOKENS = Math.ceil(Buffer.byteLength(PROMPT) / 4);
/** bytes / 4 + 4 for the message + 3 priming the reply (the gateway's estimate and the mock's count agree). */
const INPUT_TOKENS = OUTPUT_TOKENS + 4 + 3;
/** mock/echo: $1 per million input tokens, $2 per million output tokens; in micro-dollars. */
const ESTIMATE_MICROS = INPUT_TOKENS * 1 + OUTPUT_TOKENS * 2;
const ADMITS = 50;
const LIMIT_MICROS = ADMITS * ESTIMATE_MICROS;
const usd = (micros: number) => (micros / 1e6).toFixed(6);

describe('budgets in the all-in-one Tollgate (built app, official openai client, memory counters)', () => {
  let dataDir: string;
  let app: AppProcess;
  const key = generateApiKey();
  const client = (agent: string) => new OpenAI({ apiKey: key, baseURL: `${app.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-tollgate-agent-id': agent } });
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${app.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: await res.json() };
  };
  const putBudget = async (agent: string, limits: { soft_limit_usd?: string; hard_limit_usd?: string }): Promise<string> => {
    const { status, json } = await api('PUT', '/api/v1/budgets', { scope: { type: 'agent', id: agent }, period: 'day', ...limits });
    expect(status).toBe(200);
    return (json as { id: string }).id;
  };
  const costRows = async (agent: string): Promise<CostRow[]> => {
    const { status, json } = await api('GET', `/api/v1/cost-logs?agent_id=${agent}&limit=500`);
    expect(status).toBe(200);
    return (json as { data: CostRow[] }).data;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-e2e-budgets-'));
    await chmod(dataDir, 0o755); // as root, the embedded PostgreSQL runs as `postgres` and must reach it
    // REDIS_URL cleared: the all-in-one keeps its counters in memory (the Redis path has its own integration test).
    app = await startAppProcess(ENTRY, { TOLLGATE_DATA_DIR: dataDir, TOLLGATE_BOOTSTRAP_KEY: key, LOG_LEVEL: 'warn', REDIS_URL: '' }, { port: await freePort(), readyTimeoutMs: 45_000 });
  });

  afterAll(async () => {
    await app?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('adds x-tollgate-budget-warning past a soft limit, on JSON, streamed and embeddings responses, and lets the calls through', async () => {
    const budgetId = await putBudget('soft-agent', { soft_limit_usd: '0.000001' });
    const soft = client('soft-agent');
    const { data, response } = await expectEventually(async () => {
      const answer = await soft.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'soft' }], max_tokens: 5 }).withResponse();
      if (!answer.response.headers.get('x-tollgate-budget-warning')) throw new Error('the gateway has not got the budget yet');
      return answer;
    });
    expect(data.choices[0].message.content).toBe('soft');
    expect(response.headers.get('x-tollgate-budget-warning')).toMatch(new RegExp(`^budget=${budgetId}; scope=agent:soft-agent; period=day; soft_limit_usd=0\\.000001; projected_usd=`));

    const { data: stream, response: streamed } = await soft.chat.completions.create({ model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'soft stream' }] }).withResponse();
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    expect(streamed.headers.get('x-tollgate-budget-warning')).toContain(`budget=${budgetId}`);
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('soft stream');

    const { response: embedded } = await soft.embeddings.create({ model: 'mock/echo', input: 'soft embedding' }).withResponse();
    expect(embedded.headers.get('x-tollgate-budget-warning')).toContain(`budget=${budgetId}`);
  });

  it(`holds a hard limit that admits ${ADMITS} calls under 200 concurrent calls (JSON and streams): spend <= limit + one estimate, the rest refused with 429 naming the budget`, async () => {
    const agent = 'hard-agent';
    const budgetId = await putBudget(agent, { hard_limit_usd: usd(LIMIT_MICROS) });
    const hard = client(agent);
    // Wait until the gateway holds the budget: a call that could cost more than the whole limit is refused.
    await expectEventually(async () => {
      await expect(hard.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'probe' }], max_tokens: 100_000 })).rejects.toMatchObject({ status: 429 });
    });

    const body = { model: 'mock/echo', messages: [{ role: 'user' as const, content: PROMPT }], max_tokens: OUTPUT_TOKENS };
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async (_, i): Promise<{ admitted: true } | { admitted: false; error: unknown }> => {
        try {
          if (i % 4 === 0) {
            const stream = await hard.chat.completions.create({ ...body, stream: true });
            let text = '';
            for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
            expect(text).toBe(PROMPT);
          } else {
            const completion = await hard.chat.completions.create(body);
            expect(completion.usage).toMatchObject({ prompt_tokens: INPUT_TOKENS, completion_tokens: OUTPUT_TOKENS });
          }
          return { admitted: true };
        } catch (error) {
          return { admitted: false, error };
        }
      }),
    );
    const admitted = outcomes.filter((o) => o.admitted).length;
    const refused = outcomes.filter((o): o is { admitted: false; error: unknown } => !o.admitted);
    expect(admitted + refused.length).toBe(200);
    expect(admitted).toBeGreaterThanOrEqual(ADMITS - 5);
    expect(admitted).toBeLessThanOrEqual(ADMITS);
    for (const { error } of refused) {
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error).toMatchObject({ status: 429, type: 'rate_limit_error', code: 'budget_exceeded', param: null });
      const message = (error as InstanceType<typeof OpenAI.APIError>).message;
      expect(message).toContain(`budget ${budgetId}`);
      expect(message).toContain('agent "hard-agent"');
      expect(message).toContain(`daily hard limit of $${usd(LIMIT_MICROS).replace(/0+$/, '')}`);
    }

    // The ledger (source of truth) has a row per call, refused ones as blocked at $0; its total spend holds the limit.
    const rows = await expectEventually(
      async () => {
        const found = await costRows(agent);
        const answered = found.filter((r) => r.outcome === 'ok').length;
        if (answered < admitted || found.filter((r) => r.outcome === 'blocked').length < refused.length) throw new Error(`${found.length} cost rows so far`);
        return found;
      },
      { timeoutMs: 30_000 },
    );
    expect(rows.filter((r) => r.outcome === 'ok')).toHaveLength(admitted);
    const spentMicros = rows.reduce((sum, r) => sum + Math.round(Number(r.usd_cost ?? '0') * 1e6), 0);
    expect(spentMicros).toBeLessThanOrEqual(LIMIT_MICROS + ESTIMATE_MICROS);
    expect(spentMicros).toBe(admitted * ESTIMATE_MICROS + rows.filter((r) => r.outcome === 'ok' && r.input_tokens !== INPUT_TOKENS).reduce((s, r) => s + r.input_tokens + 2 * r.output_tokens, 0));
    for (const row of rows.filter((r) => r.outcome === 'blocked')) expect(Number(row.usd_cost ?? '0')).toBe(0);

    // The ledger agrees: GET /api/v1/budgets reports the spend, at most the limit.
    await expectEventually(async () => {
      const { json } = await api('GET', `/api/v1/budgets/${budgetId}`);
      expect(Math.round(Number((json as { spent_usd: string }).spent_usd) * 1e6)).toBe(spentMicros);
    });
    expect(spentMicros).toBeLessThanOrEqual(LIMIT_MICROS);
  });
});
