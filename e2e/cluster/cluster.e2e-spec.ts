import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import OpenAI from 'openai';
import { TOPICS } from '@tollgate/contracts';
import { generateApiKey } from '@tollgate/platform';
import { KafkaTestBroker, OtlpHttpReceiver, expectEventually } from '@tollgate/testing';
import { startCluster } from '../../apps/cluster/src/cluster';
import type { RunningCluster } from '../../apps/cluster/src/cluster';

// The six services as separate processes (built entry points, `npm run build` first), over the
// Kafka-protocol test broker, behind the launcher's front proxy: the topology of a real install.

interface CostRow {
  call_id: string;
  outcome: string;
  model: string;
}

describe('cluster: six processes over Kafka', () => {
  let dataDir: string;
  let broker: KafkaTestBroker;
  let cluster: RunningCluster;
  let client: OpenAI;
  const receiver = new OtlpHttpReceiver();
  const key = generateApiKey();
  const output: string[] = [];

  beforeAll(async () => {
    const otlp = await receiver.start();
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-e2e-cluster-'));
    await chmod(dataDir, 0o755); // as root, the embedded PostgreSQL runs as `postgres` and must reach it
    broker = await KafkaTestBroker.start({ partitions: 3 });
    cluster = await startCluster({
      port: 0,
      freePorts: true,
      kafkaBrokers: broker.brokers,
      dataDir,
      env: {
        TOLLGATE_BOOTSTRAP_KEY: key,
        LOG_LEVEL: 'warn',
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      onOutput: (service, line) => output.push(`[${service}] ${line}`),
      log: (line) => output.push(`[cluster] ${line}`),
    });
    client = new OpenAI({ apiKey: key, baseURL: `${cluster.url}/v1`, maxRetries: 0 });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await broker?.stop();
    await receiver.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  /** Every cost row of the tenant, through the front proxy, all pages. */
  const allCostRows = async (): Promise<CostRow[]> => {
    const rows: CostRow[] = [];
    let cursor: string | null = null;
    do {
      const res = await fetch(`${cluster.url}/api/v1/cost-logs?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: { authorization: `Bearer ${key}` } });
      if (res.status !== 200) throw new Error(`cost-logs ${res.status}: ${await res.text()}`);
      const page = (await res.json()) as { data: CostRow[]; next_cursor: string | null };
      rows.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return rows;
  };

  /** Waits until every call id has exactly one cost row (and fails on a duplicate). */
  const expectOneRowEach = async (callIds: readonly string[], timeoutMs: number): Promise<void> => {
    await expectEventually(
      async () => {
        const counts = new Map<string, number>();
        for (const row of await allCostRows()) counts.set(row.call_id, (counts.get(row.call_id) ?? 0) + 1);
        const duplicated = callIds.filter((id) => (counts.get(id) ?? 0) > 1);
        expect(duplicated).toEqual([]);
        const missing = callIds.filter((id) => !counts.has(id));
        if (missing.length) throw new Error(`${missing.length} of ${callIds.length} calls have no cost row yet (e.g. ${missing.slice(0, 3).join(', ')})`);
      },
      { timeoutMs, intervalMs: 250 },
    );
  };

  const chat = async (content: string): Promise<{ status: number; callId: string }> => {
    const { response } = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content }] }).withResponse();
    return { status: response.status, callId: response.headers.get('x-tollgate-call-id') ?? '' };
  };

  /** `total` calls, `concurrency` at a time; `during(done)` runs after each completed call. */
  const load = async (total: number, concurrency: number, during: (done: number) => Promise<void> | void = () => undefined) => {
    const results: Array<{ status: number; callId: string }> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const n = next++;
          results.push(await chat(`load call ${n}`));
          await during(results.length);
        }
      }),
    );
    return results;
  };

  const metric = async (url: string, name: string): Promise<number> => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(name));
    return line ? Number(line.trim().split(/\s+/).pop()) : 0;
  };

  it('answers a chat completion through the front proxy and records its cost via Kafka', async () => {
    const { data: completion, response } = await client.chat.completions
      .create({ model: 'mock/echo', messages: [{ role: 'user', content: 'Hello, cluster' }] }, { headers: { 'x-tollgate-agent-id': 'cluster-agent' } })
      .withResponse();
    expect(completion.choices[0].message.content).toBe('Hello, cluster');
    const callId = response.headers.get('x-tollgate-call-id');
    expect(callId).toBeTruthy();
    await expectOneRowEach([callId!], 20_000);
    const row = (await allCostRows()).find((r) => r.call_id === callId);
    expect(row).toMatchObject({ outcome: 'ok', model: 'echo' });
    expect(broker.topicMessages(TOPICS.llmCall).some((m) => m.value?.toString().includes(callId!))).toBe(true);
  });

  it('streams through the front proxy unbuffered: chunks arrive as the upstream sends them, usage last, cost row via Kafka', async () => {
    // 300 ms between the mock's chunks: a proxy that buffered the body would deliver them all at once.
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'mock/echo',
        messages: [{ role: 'user', content: 'one two three four' }],
        stream: true,
        stream_options: { include_usage: true },
        // Tollgate's mock provider reads its behaviour from the request body.
        mock: { chunk_delay_ms: 300 },
      } as unknown as OpenAI.ChatCompletionCreateParamsStreaming)
      .withResponse();
    const arrivals: number[] = [];
    let text = '';
    let usage: { total_tokens: number } | null | undefined;
    for await (const chunk of stream) {
      arrivals.push(performance.now());
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('one two three four');
    expect(usage?.total_tokens).toBeGreaterThan(0);
    // The chunks came spread out over time, not in one burst at the end.
    expect(arrivals.at(-1)! - arrivals[0]).toBeGreaterThan(600);
    const callId = response.headers.get('x-tollgate-call-id');
    expect(callId).toBeTruthy();
    await expectOneRowEach([callId!], 20_000);
  });

  it('dead-letters a poison message with its reason and goes on with the next one on its partition', async () => {
    // Keyed like the tenant's real events, so the poison sits on the same partition, just before the next call's event.
    const tenantKey = broker.topicMessages(TOPICS.llmCall)[0]?.key?.toString();
    expect(tenantKey).toBeTruthy();
    const kafka = new Kafka({ clientId: 'e2e-poison', brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPICS.llmCall, messages: [{ key: tenantKey, value: JSON.stringify({ id: 'poison-1', type: 'llm.call', nonsense: true }) }] });
    await producer.disconnect();
    const after = await chat('after the poison');

    const dead = await expectEventually(
      () => {
        const letters = broker.topicMessages(TOPICS.deadLetter).map((m) => JSON.parse(m.value?.toString() ?? '{}') as Record<string, unknown>);
        const mine = letters.find((l) => l['sourceTopic'] === TOPICS.llmCall && l['consumerGroup'] === 'cost-ledger' && Buffer.from(String(l['originalValueBase64']), 'base64').toString().includes('poison-1'));
        if (!mine) throw new Error(`no dead letter from cost-ledger yet (${letters.length} on ${TOPICS.deadLetter})`);
        return mine;
      },
      { timeoutMs: 20_000 },
    );
    expect(dead).toMatchObject({ reason: 'invalid', attempts: 0, originalKey: tenantKey });
    expect(String(dead['detail']).length).toBeGreaterThan(0);
    await expectOneRowEach([after.callId], 20_000);
  });

  it('keeps exactly one cost row per call when cost-ledger is killed (-9) in the middle of 1,000 calls', async () => {
    let killed: Promise<void> | undefined;
    const results = await load(1000, 20, (done) => {
      if (done === 300 && !killed) killed = cluster.kill('cost-ledger');
    });
    await killed;
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    await cluster.restart('cost-ledger');
    await expectOneRowEach(results.map((r) => r.callId), 60_000);
  }, 120_000);

  it('keeps serving while the broker is down, then delivers every buffered event', async () => {
    let outage: Promise<void> | undefined;
    const results = await load(200, 10, async (done) => {
      if (done === 50 && !outage) outage = broker.stop();
      if (done === 150) await outage;
    });
    await outage;
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    // At least the last 50 calls' events could not reach the stopped broker: they wait in the outbox.
    expect(await metric(cluster.services.gateway.url, 'tollgate_events_buffered')).toBeGreaterThanOrEqual(50);
    expect(await metric(cluster.services.gateway.url, 'tollgate_events_dropped')).toBe(0);
    await broker.restart();
    await expectOneRowEach(results.map((r) => r.callId), 60_000);
  }, 120_000);

  it('counts the events it could not keep on /metrics when the buffer bound is small', async () => {
    const gateway = await cluster.restart('gateway', { TOLLGATE_EVENT_BUFFER_SIZE: '5' });
    await broker.stop();
    try {
      const results = await load(30, 5);
      expect(results.filter((r) => r.status !== 200)).toEqual([]);
      await expectEventually(async () => expect(await metric(gateway.url, 'tollgate_events_dropped')).toBeGreaterThanOrEqual(25), { timeoutMs: 10_000 });
    } finally {
      await broker.restart();
    }
    // Back to normal: the gateway with its default buffer, and a new call's event reaches cost-ledger,
    // whose consumer had lost the broker (kafkajs reconnects with backoff).
    await cluster.restart('gateway');
    const after = await chat('after the outage');
    await expectOneRowEach([after.callId], 60_000);
  }, 120_000);

  it("carries each call's trace context from the gateway's chat span to cost-ledger's process span, also when their events share a Produce request", async () => {
    // Several calls at once: the gateway's publisher coalesces their events into one Produce
    // request, and each event must still carry its own call's trace context.
    const traceIds = ['c1b2c3d4e5f60718293a4b5c6d7e8f90', 'd1b2c3d4e5f60718293a4b5c6d7e8f91', 'e1b2c3d4e5f60718293a4b5c6d7e8f92'];
    await Promise.all(
      traceIds.map((traceId) =>
        client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'trace me' }] }, { headers: { traceparent: `00-${traceId}-1122334455667788-01` } }),
      ),
    );
    for (const traceId of traceIds) {
      const inTrace = (match: (name: string, group: unknown) => boolean) =>
        receiver.waitForSpans(1, { filter: (s) => s.traceId === traceId && match(s.name, s.attributes['messaging.consumer.group.name']), timeoutMs: 20_000 }).catch((error: unknown) => {
          const seen = receiver.spans().filter((s) => s.traceId === traceId).map((s) => `${String(s.resource['service.name'])}: ${s.name}`);
          const recent = output.filter((line) => line.startsWith('[cost-ledger]') || line.startsWith('[gateway]')).slice(-20);
          throw new Error(`${error instanceof Error ? error.message : String(error)}; spans of trace ${traceId} so far: [${seen.join(', ')}]; last service output:\n${recent.join('\n')}`);
        });
      const [chatSpan] = await inTrace((name) => name.startsWith('chat '));
      expect(chatSpan.resource['service.name']).toBe('tollgate-gateway');
      const [processed] = await inTrace((name, group) => name === `process ${TOPICS.llmCall}` && group === 'cost-ledger');
      expect(processed.kind).toBe(5);
      expect(processed.attributes['messaging.system']).toBe('kafka');
      expect(processed.attributes['messaging.consumer.group.name']).toBe('cost-ledger');
      expect(processed.resource['service.name']).toBe('tollgate-cost-ledger');
      const sent = await inTrace((name) => name === `send ${TOPICS.llmCall}`);
      expect(sent).toHaveLength(1);
      expect(processed.parentSpanId).toBe(sent[0].spanId);
    }
  });
});
