import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Controller } from '@nestjs/common';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { ulid } from 'ulid';
import { BudgetStateV1, GovernanceApiKeySnapshotV1, LlmCallV1 } from '@tollgate/contracts';
import type { BudgetStateEntry, LlmCallV1 as LlmCall } from '@tollgate/contracts';
import { BudgetBook, RedisBudgetCounters } from '@tollgate/budgets';
import type { BudgetCounters } from '@tollgate/budgets';
import { ConsumeEvent } from '@tollgate/messaging';
import type { EventPublisher } from '@tollgate/messaging';
import { freePort } from '@tollgate/persistence';
import { budgetStateEntry, expectEventually, tenantWithKey } from '@tollgate/testing';
import { BUDGET_COUNTERS } from '../src/budgets';
import { startGatewayTestApp } from './support/gateway-test-app';
import type { GatewayTestApp } from './support/gateway-test-app';

/**
 * Budget admission with Redis counters shared by two gateway replicas (two Nest apps in this
 * process, each with its own Redis connections), driven with the official openai client.
 * Needs Redis: TEST_REDIS_URL, else the machine's on 127.0.0.1:6379 (CI starts it), else a
 * `redis-server` this test starts on a free port. Never skipped: a green run means the Lua ran.
 */
const recorded: LlmCall[] = [];

@Controller()
class LlmCallProbe {
  @ConsumeEvent(LlmCallV1, { group: 'budget-test-probe' })
  onCall(event: LlmCall): void {
    recorded.push(event);
  }
}

const DEPLOYMENTS = [{ id: 'echo-global', provider: 'mock', publicModel: 'mock/echo', model: 'echo', region: 'global', mock: { latencyMs: 2 } }];

/** 400 ASCII bytes, echoed back by the mock: each call costs exactly its estimate when max_tokens = the answer. */
const PROMPT = 'budget '.repeat(57) + 'x';
const OUTPUT_TOKENS = Math.ceil(Buffer.byteLength(PROMPT) / 4);
const INPUT_TOKENS = OUTPUT_TOKENS + 4 + 3;
/** mock/echo: $1 / M input, $2 / M output tokens. */
const ESTIMATE_MICROS = INPUT_TOKENS + 2 * OUTPUT_TOKENS;
const ADMITS = 50;
const LIMIT_MICROS = ADMITS * ESTIMATE_MICROS;
const usd = (micros: number) => (micros / 1e6).toFixed(6);

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** TEST_REDIS_URL, else 127.0.0.1:6379, else our own redis-server; fails (never skips) if none can be had. */
async function redisForTest(): Promise<{ url: string; stop: () => Promise<void> }> {
  const given = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await answers(given)) return { url: given, stop: () => Promise.resolve() };
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve());
    });
  } catch (error) {
    throw new Error(`Redis is required by the budget tests: nothing answered at ${given} and redis-server could not be started (${error instanceof Error ? error.message : String(error)}). Start Redis or set TEST_REDIS_URL.`, { cause: error });
  }
  const url = `redis://127.0.0.1:${port}`;
  await expectEventually(async () => {
    if (!(await answers(url))) throw new Error(`redis-server on ${port} does not answer yet`);
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}


/** The event's cost in micro-dollars at mock/echo's price (what the ledger would record). */
function micros(event: LlmCall): number {
  return event.usage.inputTokens + 2 * event.usage.outputTokens;
}

describe('budget admission with Redis counters across two gateway replicas', () => {
  let redis: { url: string; stop: () => Promise<void> };
  let admin: Redis;
  const replicas: GatewayTestApp[] = [];
  // Fresh tenant ids: the Redis counters outlive the test run.
  const acme = tenantWithKey(`ten_acme_${ulid()}`);
  const other = tenantWithKey(`ten_other_${ulid()}`);

  const publishEverywhere = async (snapshot: Parameters<EventPublisher['publish']>[1], contract: typeof BudgetStateV1 | typeof GovernanceApiKeySnapshotV1) => {
    for (const replica of replicas) await replica.publish(contract, snapshot as never);
  };
  const setBudgets = async (tenantId: string, budgets: BudgetStateEntry[]) => {
    const snapshot = { id: ulid(), type: 'budget.state' as const, version: 1 as const, occurredAt: new Date().toISOString(), tenantId, budgets };
    await publishEverywhere(snapshot, BudgetStateV1);
    for (const { app } of replicas) await expectEventually(() => expect(app.get(BudgetBook).budgets(tenantId).map((b) => b.budgetId)).toEqual(budgets.map((b) => b.budgetId)));
  };
  const client = (key: string, replica: number, agent?: string) => new OpenAI({ apiKey: key, baseURL: replicas[replica].baseURL, maxRetries: 0, defaultHeaders: agent ? { 'x-tollgate-agent-id': agent } : {} });
  const counters = (replica = 0) => replicas[replica].app.get<BudgetCounters>(BUDGET_COUNTERS);
  const eventOf = (callId: string | null) =>
    expectEventually(() => {
      const found = recorded.find((e) => e.callId === callId);
      if (!found) throw new Error(`no llm.call for ${callId}`);
      return found;
    });

  beforeAll(async () => {
    redis = await redisForTest();
    admin = new Redis(redis.url);
    for (let i = 0; i < 2; i += 1) {
      const replica = await startGatewayTestApp({ TOLLGATE_DEPLOYMENTS: JSON.stringify(DEPLOYMENTS), REDIS_URL: redis.url, TOLLGATE_RETRY_BASE_MS: '1', TOLLGATE_RETRY_MAX_MS: '5' }, [LlmCallProbe]);
      replicas.push(replica);
      await replica.addTenants(acme, other);
    }
  });

  afterAll(async () => {
    for (const { app } of replicas) await app.close();
    if (admin) {
      for (const tenant of [acme, other]) {
        const keys = await admin.keys(`tollgate:budget:{${tenant.snapshot.tenantId}}:*`);
        if (keys.length) await admin.del(...keys);
      }
      await admin.quit();
    }
    await redis?.stop();
  });

  it(`holds a hard limit that admits ${ADMITS} of 200 concurrent calls spread over both replicas; refused calls get 429 naming the budget and are recorded as blocked`, async () => {
    expect(counters(0)).toBeInstanceOf(RedisBudgetCounters);
    expect(counters(1)).not.toBe(counters(0));
    const budget = budgetStateEntry({ scope: { type: 'agent', id: 'swarm' }, hardLimitUsd: usd(LIMIT_MICROS) });
    await setBudgets(acme.snapshot.tenantId, [budget]);
    const body = { model: 'mock/echo', messages: [{ role: 'user' as const, content: PROMPT }], max_tokens: OUTPUT_TOKENS };
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const openai = client(acme.key, i % 2, 'swarm');
        try {
          if (i % 5 === 0) {
            const { data: stream, response } = await openai.chat.completions.create({ ...body, stream: true }).withResponse();
            for await (const chunk of stream) void chunk;
            return { admitted: true as const, callId: response.headers.get('x-tollgate-call-id') };
          }
          const { response } = await openai.chat.completions.create(body).withResponse();
          return { admitted: true as const, callId: response.headers.get('x-tollgate-call-id') };
        } catch (error) {
          return { admitted: false as const, error };
        }
      }),
    );
    const admitted = outcomes.filter((o) => o.admitted);
    const refused = outcomes.filter((o) => !o.admitted);
    expect(admitted.length + refused.length).toBe(200);
    // Each call costs exactly its estimate, so the atomic reservations admit exactly limit / estimate.
    expect(admitted).toHaveLength(ADMITS);
    for (const { error } of refused as Array<{ error: unknown }>) {
      expect(error).toMatchObject({ status: 429, type: 'rate_limit_error', code: 'budget_exceeded', param: null });
      expect((error as Error).message).toContain(`budget ${budget.budgetId}`);
      expect((error as Error).message).toContain('agent "swarm"');
      // OpenAI's SDKs would otherwise retry the 429 twice, to be refused again.
      expect((error as { headers: Headers }).headers.get('x-should-retry')).toBe('false');
    }
    const tenantId = acme.snapshot.tenantId;
    const events = await expectEventually(() => {
      const mine = recorded.filter((e) => e.tenantId === tenantId && e.attribution.agentId === 'swarm');
      if (mine.length < 200) throw new Error(`${mine.length} llm.call events so far`);
      return mine;
    });
    expect(events.filter((e) => e.outcome === 'blocked')).toHaveLength(refused.length);
    expect(events.filter((e) => e.outcome === 'blocked').every((e) => e.error?.code === 'budget_exceeded' && e.attempts.length === 0)).toBe(true);
    const spent = events.filter((e) => e.outcome === 'ok').reduce((sum, e) => sum + micros(e), 0);
    expect(spent).toBeLessThanOrEqual(LIMIT_MICROS + ESTIMATE_MICROS);
    // Settled to the actual cost on the shared counter, nothing left reserved.
    await expectEventually(async () => expect(await counters(1).usage(tenantId, budget)).toEqual({ settledUsd: usd(spent).replace(/\.?0+$/, ''), reservedUsd: '0' }));
  });

  it("never applies one tenant's budgets to another tenant, even with the same agent id", async () => {
    await setBudgets(acme.snapshot.tenantId, [budgetStateEntry({ scope: { type: 'tenant', id: null }, hardLimitUsd: '0' })]);
    await expect(client(acme.key, 0, 'swarm').chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'acme' }] })).rejects.toMatchObject({ status: 429, code: 'budget_exceeded' });
    const theirs = budgetStateEntry({ scope: { type: 'agent', id: 'swarm' }, hardLimitUsd: '1' });
    await setBudgets(other.snapshot.tenantId, [theirs]);
    const { data } = await client(other.key, 1, 'swarm').chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'other tenant' }], max_tokens: 10 }).withResponse();
    expect(data.choices[0].message.content).toBe('other tenant');
    await expectEventually(async () => expect(Number((await counters(0).usage(other.snapshot.tenantId, theirs)).settledUsd)).toBeGreaterThan(0));
    await setBudgets(acme.snapshot.tenantId, []);
  });

  it('warns past a soft limit on JSON and streamed responses (header on the SSE response)', async () => {
    const soft = budgetStateEntry({ scope: { type: 'api_key', id: other.keyId }, softLimitUsd: '0.000001' });
    await setBudgets(other.snapshot.tenantId, [soft]);
    const { response } = await client(other.key, 0).chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'warn me' }] }).withResponse();
    expect(response.headers.get('x-tollgate-budget-warning')).toMatch(new RegExp(`^budget=${soft.budgetId}; scope=api_key:${other.keyId}; period=day; soft_limit_usd=0\\.000001; projected_usd=\\d`));
    const { data: stream, response: streamed } = await client(other.key, 1).chat.completions.create({ model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'warn me too' }] }).withResponse();
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    expect(streamed.headers.get('x-tollgate-budget-warning')).toContain(`budget=${soft.budgetId}`);
    for await (const chunk of stream) void chunk;
    // A tenant without budgets gets no header.
    await setBudgets(other.snapshot.tenantId, []);
    const { response: plain } = await client(other.key, 0).chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'no budget' }] }).withResponse();
    expect(plain.headers.get('x-tollgate-budget-warning')).toBeNull();
  });

  it('settles a cut stream to what it used, and releases a failed call', async () => {
    const budget = budgetStateEntry({ scope: { type: 'agent', id: 'faults' }, hardLimitUsd: '1' });
    await setBudgets(other.snapshot.tenantId, [budget]);
    const openai = client(other.key, 0, 'faults');
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'a b c d e f g h i j k l' }], max_tokens: 1000, mock: { cut_stream_after_chunks: 2 } } as unknown as OpenAI.ChatCompletionCreateParamsStreaming)
      .withResponse();
    await expect(
      (async () => {
        for await (const chunk of stream) void chunk;
      })(),
    ).rejects.toThrow();
    const cut = await eventOf(response.headers.get('x-tollgate-call-id'));
    expect(cut.outcome).toBe('truncated');
    await expectEventually(async () => expect(await counters(1).usage(other.snapshot.tenantId, budget)).toEqual({ settledUsd: usd(micros(cut)).replace(/\.?0+$/, ''), reservedUsd: '0' }));

    const failing = { model: 'mock/echo', messages: [{ role: 'user', content: 'fail' }], max_tokens: 1000, mock: { fail_status: 500 } } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
    await expect(openai.chat.completions.create(failing)).rejects.toMatchObject({ status: expect.any(Number) });
    await expectEventually(async () => expect(await counters(0).usage(other.snapshot.tenantId, budget)).toEqual({ settledUsd: usd(micros(cut)).replace(/\.?0+$/, ''), reservedUsd: '0' }));
  });
});
