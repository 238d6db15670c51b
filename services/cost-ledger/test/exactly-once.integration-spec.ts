import { Client } from 'pg';
import { CostRecordedV1, DeadLetterV1, EventValidationError, LlmCallV1, TOPICS } from '@tollgate/contracts';
import type { LlmCallV1 as LlmCallEvent } from '@tollgate/contracts';
import { createTestDatabase, expectEventually, llmCallEvent } from '@tollgate/testing';
import type { TestDatabase } from '@tollgate/testing';
import { CostLedgerConsumer } from '../src/cost-logs/cost-ledger.consumer';
import { ModelCostLog } from '../src/cost-logs/entities/model-cost-log.entity';
import { captureTopic, startLedgerApp } from './support/ledger-app';
import type { LedgerApp } from './support/ledger-app';

/** Rows and aggregates agree: the aggregates are updated from exactly the rows that were inserted. */
async function expectAggregatesMatchRows(ledger: LedgerApp, tenantId: string): Promise<void> {
  const [rows] = (await ledger.dataSource.query(`SELECT count(*)::int AS calls, coalesce(sum(usd_cost), 0)::text AS usd, sum(input_tokens)::int AS input FROM model_cost_logs WHERE tenant_id = $1`, [tenantId])) as Array<{ calls: number; usd: string; input: number }>;
  const aggregates = (await ledger.dataSource.query(
    `SELECT dimension, sum(calls)::int AS calls, sum(usd_cost)::text AS usd, sum(input_tokens)::int AS input FROM daily_cost_aggregates WHERE tenant_id = $1 GROUP BY dimension ORDER BY dimension`,
    [tenantId],
  )) as Array<{ dimension: string; calls: number; usd: string; input: number }>;
  expect(aggregates.map((a) => a.dimension)).toEqual(['agent', 'api_key', 'model', 'tenant', 'user', 'workflow']);
  for (const a of aggregates) expect({ dimension: a.dimension, calls: a.calls, usd: Number(a.usd), input: a.input }).toEqual({ dimension: a.dimension, calls: rows.calls, usd: Number(rows.usd), input: rows.input });
}

const calls = (tenantId: string, n: number): LlmCallEvent[] =>
  Array.from({ length: n }, (_, i) =>
    llmCallEvent({ tenantId, userId: `user-${i % 3}`, attribution: { agentId: `agent-${i % 4}`, workflowId: `wf-${i % 2}`, nodeId: null, sessionId: null }, usage: { inputTokens: 100 + i, outputTokens: 10 + i, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 110 + 2 * i, source: 'provider' } }),
  );

describe('exactly one cost row per call', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('writes one row for an event delivered twice, and announces it twice under the same event id', async () => {
    const ledger = await startLedgerApp(db.url, []);
    try {
      const recorded = captureTopic(ledger.broker, CostRecordedV1);
      const event = llmCallEvent({ tenantId: 'ten_twice' });
      // One after the other: two copies in flight together share a batch, which records and announces once.
      await ledger.publisher.publish(LlmCallV1, event);
      await expectEventually(() => expect(recorded.events.filter((e) => e.callId === event.callId)).toHaveLength(1));
      await ledger.publisher.publish(LlmCallV1, event);
      await expectEventually(() => expect(recorded.events.filter((e) => e.callId === event.callId)).toHaveLength(2));
      expect(await ledger.dataSource.getRepository(ModelCostLog).countBy({ callId: event.callId })).toBe(1);
      const [first, second] = recorded.events.filter((e) => e.callId === event.callId);
      expect(second.id).toBe(first.id);
      await expectAggregatesMatchRows(ledger, 'ten_twice');
    } finally {
      await ledger.close();
    }
  });

  it('leaves one row per call when the consumer is closed with a batch pending and a restarted one gets every event again', async () => {
    const events = calls('ten_restart', 120);
    // A small batch size, so the 120 calls are several batches and some are still pending at close.
    const first = await startLedgerApp(db.url, [], { TOLLGATE_LEDGER_BATCH_SIZE: 16 });
    const consumer = first.app.get(CostLedgerConsumer);
    // Delivered concurrently, as a transport consuming several partitions would; none awaited before closing.
    const acks = events.map((event) => consumer.onLlmCall(event).then(() => event.callId, () => null));
    await first.close();
    const acknowledged = (await Promise.all(acks)).filter((id): id is string => id !== null);
    const rowsAfterClose = await first.dataSource.query(`SELECT call_id FROM model_cost_logs WHERE tenant_id = 'ten_restart'`).catch(() => null);
    expect(rowsAfterClose).toBeNull(); // the DataSource is closed with the app: nothing can write after close

    const second = await startLedgerApp(db.url, [], { TOLLGATE_LEDGER_BATCH_SIZE: 16 });
    try {
      const stored = new Set((await second.dataSource.getRepository(ModelCostLog).findBy({ tenantId: 'ten_restart' })).map((r) => r.callId));
      // Every acknowledged call was durable before its acknowledgement.
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      // Kafka redelivers from the last committed offset: here, conservatively, everything.
      for (const event of events) await second.publisher.publish(LlmCallV1, event);
      await expectEventually(async () => expect(await second.dataSource.getRepository(ModelCostLog).countBy({ tenantId: 'ten_restart' })).toBe(events.length));
      await second.broker.whenIdle();
      expect(await second.dataSource.getRepository(ModelCostLog).countBy({ tenantId: 'ten_restart' })).toBe(events.length);
      await expectAggregatesMatchRows(second, 'ten_restart');
    } finally {
      await second.close();
    }
  });

  it('leaves no part of a batch behind when the consumer dies in the middle of writing it, and one row per call after the restart', async () => {
    const events = calls('ten_killed', 40);
    const first = await startLedgerApp(db.url, []);
    const blocker = new Client({ connectionString: db.url });
    await blocker.connect();
    try {
      // Another transaction holds the unique key of one call of the batch: the batch's insert waits on it, mid-statement.
      await blocker.query('BEGIN');
      await blocker.query(
        `INSERT INTO cost_ledger.model_cost_logs (id, call_id, event_id, tenant_id, api_key_id, provider, model, requested_model, input_tokens, output_tokens, cached_read_tokens, cache_write_tokens, reasoning_tokens, usage_source, price_status, outcome, stream, occurred_at)
         VALUES ('blocker', $1, 'blocker', 'ten_killed', 'k', 'mock', 'echo', 'mock/echo', 0, 0, 0, 0, 0, 'provider', 'unpriced', 'ok', false, now())`,
        [events[17].callId],
      );
      const consumer = first.app.get(CostLedgerConsumer);
      const acks = events.map((event) => consumer.onLlmCall(event).then(() => 'acked', (error: unknown) => (error instanceof Error ? error.message : String(error))));
      const pid = await expectEventually(async () => {
        const [row] = (await blocker.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = 'tollgate-cost-ledger'`)).rows as Array<{ pid: number }>;
        expect(row).toBeDefined();
        return row.pid;
      });
      // "Kill" the consumer mid-batch: its connection dies with the statement half done.
      await blocker.query('SELECT pg_terminate_backend($1)', [pid]);
      const outcomes = await Promise.all(acks);
      expect(outcomes.filter((o) => o === 'acked')).toEqual([]);
      expect(outcomes[0]).toMatch(/terminat/);
      await blocker.query('ROLLBACK');
      expect(Number((await blocker.query(`SELECT count(*) FROM cost_ledger.model_cost_logs WHERE tenant_id = 'ten_killed'`)).rows[0].count)).toBe(0);
      expect(Number((await blocker.query(`SELECT count(*) FROM cost_ledger.daily_cost_aggregates WHERE tenant_id = 'ten_killed'`)).rows[0].count)).toBe(0);
    } finally {
      await blocker.end();
      await first.close();
    }

    const second = await startLedgerApp(db.url, []);
    try {
      // Nothing was acknowledged, so every message comes back; the first few twice, as a redelivery would.
      for (const event of [...events.slice(0, 5), ...events]) await second.publisher.publish(LlmCallV1, event);
      await expectEventually(async () => expect(await second.dataSource.getRepository(ModelCostLog).countBy({ tenantId: 'ten_killed' })).toBe(events.length));
      await second.broker.whenIdle();
      expect(await second.dataSource.getRepository(ModelCostLog).countBy({ tenantId: 'ten_killed' })).toBe(events.length);
      await expectAggregatesMatchRows(second, 'ten_killed');
    } finally {
      await second.close();
    }
  });
});

describe('bad call events', () => {
  let db: TestDatabase;
  let ledger: LedgerApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    ledger = await startLedgerApp(db.url, []);
  });

  afterAll(async () => {
    await ledger?.close();
    await db?.drop();
  });

  it('are refused by a producer, which validates before sending', async () => {
    const negative = llmCallEvent({ tenantId: 'ten_bad' });
    negative.usage.inputTokens = -5;
    await expect(ledger.publisher.publish(LlmCallV1, negative)).rejects.toThrow(EventValidationError);
  });

  it.each([
    ['a negative token count', (e: LlmCallEvent) => (e.usage.inputTokens = -5), 'usage.inputTokens: must not be negative'],
    ['an absurd token count', (e: LlmCallEvent) => (e.usage.outputTokens = 10 ** 12), 'usage.outputTokens: must be at most 50000000'],
    ['more cached than input tokens', (e: LlmCallEvent) => (e.usage.cachedReadTokens = e.usage.inputTokens + 1), 'cached read + cache write tokens exceed input tokens'],
  ])('with %s go through the bus to the dead-letter topic with the reason, and write no row', async (_what, corrupt, reason) => {
    const dlq = captureTopic(ledger.broker, DeadLetterV1);
    const event = llmCallEvent({ tenantId: 'ten_bad' });
    corrupt(event);
    // A producer that skipped validation (or a corrupted message): straight onto the bus, as Kafka would carry it.
    ledger.broker.publish({ topic: TOPICS.llmCall, key: 'ten_bad', value: Buffer.from(JSON.stringify(event)), headers: {} });
    const letter = await expectEventually(() => {
      const found = dlq.events.find((d) => d.consumerGroup === 'cost-ledger');
      expect(found).toBeDefined();
      return found!;
    });
    dlq.stop();
    expect(letter).toMatchObject({ reason: 'invalid', sourceTopic: TOPICS.llmCall, tenantId: 'ten_bad' });
    expect(letter.detail).toContain(reason);
    expect(JSON.parse(Buffer.from(letter.originalValueBase64, 'base64').toString('utf8')).callId).toBe(event.callId);
    expect(await ledger.dataSource.getRepository(ModelCostLog).countBy({ callId: event.callId })).toBe(0);
  });
});
