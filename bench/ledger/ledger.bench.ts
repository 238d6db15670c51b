/**
 * npm run bench:ledger — how fast the cost-ledger records llm.call.v1 events into Postgres.
 *
 * Starts an embedded PostgreSQL (ephemeral) and the cost-ledger module as it runs in the
 * all-in-one process, then measures:
 *  1. throughput with concurrent delivery: messages (JSON bytes, as on the wire) go through the
 *     transports' own deliver() (decode, validate, consumer span, retry/DLQ) into the real
 *     @ConsumeEvent handler, up to BENCH_CONCURRENCY in flight, as a transport consuming several
 *     partitions at once hands them over; the handler acknowledges after the batch commits;
 *  2. throughput through the in-process bus as wired: the cost-ledger consumer's @ConsumeEvent
 *     concurrency (TOLLGATE_LEDGER_CONCURRENCY, default 2048) messages in flight, ordering 'none'
 *     (one tenant's calls need not wait for each other);
 *  3. event → row lag at BENCH_RATE calls/s (open loop: each call is sent at its scheduled time and
 *     its lag is measured from that time, so a slow consumer cannot hide its backlog), both ways.
 * Prints a Markdown section for docs/benchmarks.md.
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { ulid } from 'ulid';
import { LlmCallV1, TOPICS } from '@tollgate/contracts';
import type { LlmCallV1 as LlmCallEvent } from '@tollgate/contracts';
import { EVENT_PUBLISHER, MessagingModule, deliver, startEventConsumers } from '@tollgate/messaging';
import type { EventPublisher } from '@tollgate/messaging';
import { PersistenceModule, dataSourceToken, startEmbeddedPostgres } from '@tollgate/persistence';
import { PlatformModule } from '@tollgate/platform';
import { CostLedgerModule } from '../../services/cost-ledger/src/cost-ledger.module';
import { CostLedgerConsumer } from '../../services/cost-ledger/src/cost-logs/cost-ledger.consumer';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 512);
const BUS_EVENTS = Number(process.env.BENCH_BUS_EVENTS ?? 5_000);
const RATE = Number(process.env.BENCH_RATE ?? 1_000);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 15);
const BATCH_SIZE = Number(process.env.TOLLGATE_LEDGER_BATCH_SIZE ?? 500);
const LEDGER_CONCURRENCY = Number(process.env.TOLLGATE_LEDGER_CONCURRENCY ?? 2048);
/** `throughput` skips the bus and lag runs (for profiling the batched path); `bus` runs the wired bus throughput only (for repeats). */
const ONLY_THROUGHPUT = process.env.BENCH_ONLY === 'throughput';
const ONLY_BUS = process.env.BENCH_ONLY === 'bus';

/** A realistic mix: 50 tenants, their users and agents, three models (one unpriced), some cache and reasoning tokens. */
function callEvent(i: number, occurredAt = new Date()): LlmCallEvent {
  const models: Array<[string, string]> = [['mock', 'echo'], ['openai', 'gpt-4o-mini'], ['openai', 'gpt-unreleased']];
  const [provider, model] = models[i % 3];
  const input = 200 + (i % 1000);
  return {
    id: ulid(),
    type: 'llm.call',
    version: 1,
    occurredAt: occurredAt.toISOString(),
    tenantId: `ten_${i % 50}`,
    callId: ulid(),
    requestId: `req_${i}`,
    apiKeyId: `key_${i % 200}`,
    userId: `user_${i % 500}`,
    endUser: null,
    attribution: { agentId: `agent_${i % 100}`, workflowId: i % 4 === 0 ? `wf_${i % 1000}` : null, nodeId: null, sessionId: null },
    plan: 'pro',
    region: 'global',
    operation: 'chat',
    requestedModel: `${provider}/${model}`,
    stream: i % 2 === 0,
    route: { provider, model, deployment: null, region: null, rule: 'direct', reason: null, policyVersion: null, candidates: [`${provider}/${model}`] },
    attempts: [{ provider, model, deployment: null, status: 200, latencyMs: 120, errorClass: null }],
    usage: { inputTokens: input, outputTokens: 150, cachedReadTokens: i % 5 === 0 ? 100 : 0, cacheWriteTokens: 0, reasoningTokens: i % 7 === 0 ? 50 : 0, totalTokens: input + 150, source: 'provider' },
    providerCostUsd: null,
    responseModel: model,
    finishReasons: ['stop'],
    startedAt: occurredAt.toISOString(),
    latencyMs: 130,
    timeToFirstTokenMs: 40,
    outcome: 'ok',
    error: null,
    guardrails: [],
    privacyMode: 'metadata',
    promptFingerprint: 'f'.repeat(64),
    promptStats: { messageCount: 2, characters: 1200 },
    content: null,
    traceId: null,
  };
}

async function rowCount(dataSource: DataSource): Promise<number> {
  const [row] = (await dataSource.query('SELECT count(*)::int AS n FROM model_cost_logs')) as Array<{ n: number }>;
  return row.n;
}

async function untilRows(dataSource: DataSource, n: number): Promise<void> {
  while ((await rowCount(dataSource)) < n) await new Promise((resolve) => setTimeout(resolve, 20));
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-bench-ledger-'));
  const pg = await startEmbeddedPostgres({ dir, ephemeral: true });
  let app: INestApplication | undefined;
  try {
    app = await NestFactory.create(
      {
        module: class BenchModule {},
        imports: [
          PlatformModule,
          PersistenceModule.forRoot({ url: pg.url, poolSize: 8 }),
          MessagingModule.forRoot({ transport: { kind: 'in-process' } }),
          CostLedgerModule.register({ TOLLGATE_LEDGER_BATCH_SIZE: BATCH_SIZE, TOLLGATE_LEDGER_CONCURRENCY: LEDGER_CONCURRENCY, TOLLGATE_BUDGET_STATE_INTERVAL_MS: 1000 }),
        ],
      },
      { logger: ['error', 'warn'] },
    );
    await startEventConsumers(app);
    await app.init();
    const dataSource = app.get<DataSource>(dataSourceToken('cost-ledger'));
    const publisher = app.get<EventPublisher>(EVENT_PUBLISHER);
    const consumer = app.get(CostLedgerConsumer);
    const route = { topic: TOPICS.llmCall, group: 'cost-ledger', concurrency: 1, invoke: (event: unknown) => consumer.onLlmCall(event as LlmCallEvent) };
    const runtime = { system: 'kafka' as const, publisher, retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 2000 }, logger: new Logger('BenchDelivery') };
    const wire = (event: LlmCallEvent) => ({ topic: TOPICS.llmCall, key: event.tenantId, value: Buffer.from(JSON.stringify(event)), headers: {} });

    /** Delivers `messages` through deliver(), at most `concurrency` in flight; resolves when all are acknowledged. */
    const deliverAll = (messages: ReturnType<typeof wire>[], concurrency: number) =>
      new Promise<void>((resolve, reject) => {
        let next = 0;
        let done = 0;
        const pump = (): void => {
          while (next - done < concurrency && next < messages.length) {
            void deliver(messages[next++], route, runtime).then((outcome) => {
              if (outcome !== 'handled') return reject(new Error(`delivery ${outcome}`));
              done += 1;
              if (done === messages.length) resolve();
              else pump();
            }, reject);
          }
        };
        pump();
      });

    // Warm-up: JIT, connection pool, price catalogs.
    await deliverAll(Array.from({ length: 5_000 }, (_, i) => wire(callEvent(i))), CONCURRENCY);

    /**
     * Publishes BUS_EVENTS calls on the bus and waits for their rows. The events are built first (ulid()
     * draws its randomness one character at a time: building 50,000 took ~4.5 s of CPU, which the
     * timing would otherwise charge to the ledger). publish() only validates, encodes and enqueues, so
     * every call is queued before the consumer takes the first: `publishing` is that part, the rest
     * is the consumer draining the backlog.
     */
    const busRun = async (): Promise<{ seconds: number; publishing: number }> => {
      const events = Array.from({ length: BUS_EVENTS }, (_, i) => callEvent(i));
      const before = await rowCount(dataSource);
      const t = performance.now();
      for (const event of events) await publisher.publish(LlmCallV1, event);
      const publishing = (performance.now() - t) / 1000;
      await untilRows(dataSource, before + BUS_EVENTS);
      return { seconds: (performance.now() - t) / 1000, publishing };
    };

    if (ONLY_BUS) {
      await busRun(); // warm-up of the bus path
      const [{ at: measuredFrom }] = (await dataSource.query(`SELECT now() AS at`)) as Array<{ at: Date }>;
      const { seconds, publishing } = await busRun();
      const [statements] = (await dataSource.query(`SELECT count(DISTINCT created_at)::int AS statements, count(*)::int AS rows FROM model_cost_logs WHERE created_at >= $1`, [measuredFrom])) as Array<{ statements: number; rows: number }>;
      const load = loadavg().map((x) => x.toFixed(2)).join(' / ');
      process.stdout.write(
        `throughput, in-process bus as wired: ${Math.round(BUS_EVENTS / seconds)} events/s (${BUS_EVENTS} events in ${seconds.toFixed(1)} s, of which ${publishing.toFixed(1)} s publishing; consumer alone ${Math.round(BUS_EVENTS / (seconds - publishing))} events/s; ${(statements.rows / statements.statements).toFixed(1)} rows per insert; load average ${load})\n`,
      );
      return;
    }

    // 1. Throughput with concurrent delivery.
    const messages = Array.from({ length: EVENTS }, (_, i) => wire(callEvent(i)));
    const before1 = await rowCount(dataSource);
    const start = performance.now();
    await deliverAll(messages, CONCURRENCY);
    const concurrentSeconds = (performance.now() - start) / 1000;
    const recorded1 = (await rowCount(dataSource)) - before1;

    if (ONLY_THROUGHPUT) {
      process.stdout.write(`throughput, concurrent delivery: ${Math.round(recorded1 / concurrentSeconds)} events/s\n`);
      return;
    }

    // 2. Throughput through the in-process bus as wired (the consumer's concurrency and ordering).
    const { seconds: busSeconds, publishing: busPublishing } = await busRun();

    // 3. Lag at RATE calls/s, open loop, both ways. With deliver() the lag ends at the acknowledgement
    // (after commit and cost.recorded); on the bus, whose acknowledgement is not visible, at the
    // row's created_at (its insert statement's start, a little before its commit).
    const lag = async (send: (event: LlmCallEvent) => Promise<number | null>): Promise<{ p50: number; p95: number; p99: number; max: number; backlogAtEnd: number }> => {
      const total = RATE * LAG_SECONDS;
      const t0 = Date.now() + 100;
      const sentAt = new Map<string, number>();
      const acked = new Map<string, number>();
      const pending: Array<Promise<void>> = [];
      for (let i = 0; i < total; i += 1) {
        const due = t0 + (i * 1000) / RATE;
        const wait = due - Date.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        const event = callEvent(i, new Date(due));
        sentAt.set(event.callId, due);
        pending.push(send(event).then((at) => void (at !== null && acked.set(event.callId, at))));
      }
      const [{ n: recordedAtEnd }] = (await dataSource.query(`SELECT count(*)::int AS n FROM model_cost_logs WHERE call_id = ANY($1)`, [[...sentAt.keys()]])) as Array<{ n: number }>;
      await Promise.all(pending);
      await untilRowsFor(dataSource, [...sentAt.keys()]);
      const rows = (await dataSource.query(`SELECT call_id, (extract(epoch FROM created_at) * 1000)::float8 AS at FROM model_cost_logs WHERE call_id = ANY($1)`, [[...sentAt.keys()]])) as Array<{ call_id: string; at: number }>;
      const lags = rows.map((r) => (acked.get(r.call_id) ?? r.at) - (sentAt.get(r.call_id) ?? r.at)).sort((a, b) => a - b);
      return { p50: percentile(lags, 50), p95: percentile(lags, 95), p99: percentile(lags, 99), max: lags[lags.length - 1], backlogAtEnd: total - recordedAtEnd };
    };
    const lagConcurrent = await lag(async (event) => {
      await deliverAll([wire(event)], 1);
      return Date.now();
    });
    const lagBus = await lag(async (event) => {
      await publisher.publish(LlmCallV1, event);
      return null;
    });

    const [batches] = (await dataSource.query(`SELECT count(DISTINCT created_at)::int AS statements, count(*)::int AS rows FROM model_cost_logs`)) as Array<{ statements: number; rows: number }>;
    const cpu = cpus();
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
    const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
    const lines = [
      `## Cost ledger (\`npm run bench:ledger\`)`,
      ``,
      `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, embedded PostgreSQL 18 (default settings, synchronous_commit on), batch size ${BATCH_SIZE}, ledger consumer concurrency ${LEDGER_CONCURRENCY}. Load average (1/5/15 min) ${load(loadAtStart)} at start, ${load(loadavg())} at end.`,
      `Events: 50 tenants, 500 users, 100 agents, three models (one unpriced), every row with its six daily aggregate upserts and its cost.recorded.v1.`,
      ``,
      `| measurement | result |`,
      `|---|---|`,
      `| throughput, concurrent delivery (${CONCURRENCY} in flight, deliver() → handler → batched insert, ack after commit) | **${Math.round(recorded1 / concurrentSeconds).toLocaleString('en-US')} events/s** (${recorded1.toLocaleString('en-US')} events in ${concurrentSeconds.toFixed(1)} s) |`,
      `| throughput, in-process bus as wired (consumer concurrency ${LEDGER_CONCURRENCY}, ordering 'none') | ${Math.round(BUS_EVENTS / busSeconds).toLocaleString('en-US')} events/s (${BUS_EVENTS.toLocaleString('en-US')} events in ${busSeconds.toFixed(1)} s, of which ${busPublishing.toFixed(1)} s publishing; consumer alone ${Math.round(BUS_EVENTS / (busSeconds - busPublishing)).toLocaleString('en-US')} events/s) |`,
      `| event → acknowledged row at ${RATE.toLocaleString('en-US')} calls/s for ${LAG_SECONDS} s, concurrent delivery | p50 ${fmt(lagConcurrent.p50)}, p95 ${fmt(lagConcurrent.p95)}, p99 ${fmt(lagConcurrent.p99)}, max ${fmt(lagConcurrent.max)}; ${lagConcurrent.backlogAtEnd} calls not yet recorded when sending stopped |`,
      `| event → row (created_at) at ${RATE.toLocaleString('en-US')} calls/s for ${LAG_SECONDS} s, in-process bus as wired (concurrency ${LEDGER_CONCURRENCY}) | p50 ${fmt(lagBus.p50)}, p95 ${fmt(lagBus.p95)}, p99 ${fmt(lagBus.p99)}, max ${fmt(lagBus.max)}; ${lagBus.backlogAtEnd} calls not yet recorded when sending stopped |`,
      `| rows per insert statement over the whole run (average, by commit timestamp) | ${(batches.rows / batches.statements).toFixed(1)} |`,
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    await app?.close();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function untilRowsFor(dataSource: DataSource, callIds: string[]): Promise<void> {
  for (;;) {
    const [row] = (await dataSource.query(`SELECT count(*)::int AS n FROM model_cost_logs WHERE call_id = ANY($1)`, [callIds])) as Array<{ n: number }>;
    if (row.n >= callIds.length) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ledger failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
