import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describeMachine, writeSection } from './report';

/**
 * `npm run bench:gateway-micro`: the per-event and per-call pieces that bench:gateway's whole-process
 * figures are too noisy to resolve on a shared 2-core machine, each measured with and without the
 * change that targets it, in fresh processes taking turns (three rounds):
 * - kafkajs encoding a Produce request of 100 `llm.call`-sized messages with its request header,
 *   as kafkajs ships, with Tollgate's earlier patches to its layers (in-place encoder, record
 *   encoder, CRC-32C), and with the one-pass encoder (libs/messaging/src/kafka/kafkajs-*.ts);
 * - recording two points on an OpenTelemetry histogram, with fresh attribute objects per call (as
 *   before) and with interned, frozen sets whose hash the SDK keeps (libs/telemetry attribute-sets);
 * - making a ULID with the ulid package and with Tollgate's own (libs/contracts ids.ts);
 * - kafkajs grouping a send's messages by partition, its own (quadratic) and Tollgate's
 *   (libs/messaging/src/kafka/kafkajs-partitioner.ts), for the 100 and 300 messages a 100 ms linger
 *   gathers at 1,000 and 3,000 calls/s.
 */

const REPO_ROOT = resolve(__dirname, '../..'); // dist/bench-gateway
const ROUNDS = 3;

type Variant =
  | 'kafka-original'
  | 'kafka-records'
  | 'kafka-patched'
  | 'metrics-plain'
  | 'metrics-interned'
  | 'ulid-package'
  | 'ulid-tollgate'
  | 'grouping-kafkajs-100'
  | 'grouping-tollgate-100'
  | 'grouping-kafkajs-300'
  | 'grouping-tollgate-300';

/** Messages per Produce request: what the gateway's 100 ms linger gathers at 1,000 calls/s. */
const KAFKA_MESSAGES = 100;

/* eslint-disable @typescript-eslint/no-require-imports -- the built libs and kafkajs internals, loaded only in the measuring child */
function measureKafka(variant: Variant): void {
  const kafka = (file: string): unknown => require(resolve(REPO_ROOT, 'dist/libs/messaging/src/kafka', file));
  if (variant !== 'kafka-original') (kafka('kafkajs-encoder.js') as { patchKafkajsEncoder(): boolean }).patchKafkajsEncoder();
  if (variant === 'kafka-records') {
    // The patches before the one-pass encoder: kafkajs' layers, with Tollgate's record encoder and CRC-32C in its place.
    const { replaceKafkajsModule } = kafka('kafkajs-module.js') as { replaceKafkajsModule(id: string, exports: unknown, requiredBy: string[]): string };
    const { encodeKafkaRecord } = kafka('kafkajs-record.js') as { encodeKafkaRecord: unknown };
    const { kafkaCrc32c } = kafka('kafkajs-crc32c.js') as { kafkaCrc32c: unknown };
    if (replaceKafkajsModule('kafkajs/src/protocol/recordBatch/crc32C', kafkaCrc32c, ['kafkajs/src/protocol/recordBatch/v0']) !== 'installed') throw new Error('could not install the CRC-32C');
    if (replaceKafkajsModule('kafkajs/src/protocol/recordBatch/record/v0', encodeKafkaRecord, ['kafkajs/src/protocol/requests/produce/v3/request']) !== 'installed') throw new Error('could not install the record encoder');
  }
  if (variant === 'kafka-patched') {
    const { installKafkajsProduceEncoder } = kafka('kafkajs-produce.js') as { installKafkajsProduceEncoder(): { produce: string; request: string } };
    const installed = installKafkajsProduceEncoder();
    if (installed.produce !== 'installed' || installed.request !== 'installed') throw new Error(`could not install the one-pass Produce encoder: ${JSON.stringify(installed)}`);
  }
  const produce = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (args: unknown) => unknown;
  const createRequest = require('kafkajs/src/protocol/request.js') as (args: { correlationId: number; clientId: string; request: unknown }) => Promise<unknown>;
  const value = JSON.stringify({ id: '01JBENCH'.padEnd(26, 'X'), type: 'llm.call', payload: 'x'.repeat(1300) });
  const headers = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'tollgate-event-type': 'llm.call', 'tollgate-event-version': '1' };
  const messages = Array.from({ length: KAFKA_MESSAGES }, (_, i) => ({ key: `bench-tenant-${i % 3}`, value, headers }));
  // The request as kafkajs' connection makes it: the Produce body and the request header in front of it.
  const request = (i: number) => createRequest({ correlationId: i, clientId: 'tollgate-gateway-producer', request: produce({ acks: -1, timeout: 30_000, topicData: [{ topic: 'tollgate.llm.call.v1', partitions: [{ partition: 0, firstSequence: i, messages }] }] }) });
  void (async () => {
    for (let i = 0; i < 1000; i++) await request(i);
    const n = 2000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await request(i);
    process.stdout.write(JSON.stringify({ nsPerUnit: Number(process.hrtime.bigint() - started) / n / messages.length }));
  })();
}

interface AttributeSetsModule {
  memoizeFrozenAttributeHashes(): boolean;
  AttributeSets: new () => { get(key: string, build: () => Record<string, string>): Record<string, string> };
  DerivedAttributeSets: new (extra: Record<string, string>) => { of(base: Record<string, string>): Record<string, string> };
}

function measureMetrics(interned: boolean): void {
  const sdk = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const sets = require(resolve(REPO_ROOT, 'dist/libs/telemetry/src/attribute-sets.js')) as AttributeSetsModule;
  if (interned) sets.memoizeFrozenAttributeHashes();
  const reader = new sdk.PeriodicExportingMetricReader({ exporter: new sdk.InMemoryMetricExporter(sdk.AggregationTemporality.CUMULATIVE), exportIntervalMillis: 600_000 });
  const histogram = new sdk.MeterProvider({ readers: [reader] }).getMeter('bench').createHistogram('bench.duration');
  const models = ['bench/model', 'gpt-4o'];
  const chatSets = new sets.AttributeSets();
  const inputSets = new sets.DerivedAttributeSets({ 'gen_ai.token.type': 'input' });
  const call = interned
    ? (i: number) => {
        const model = models[i & 1];
        const attributes = chatSets.get(`${model}\u0000openai\u0000gpt-4o-2024-08-06\u0000`, () => ({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model, 'gen_ai.provider.name': 'openai', 'gen_ai.response.model': 'gpt-4o-2024-08-06' }));
        histogram.record(i, attributes);
        histogram.record(i, inputSets.of(attributes));
      }
    : (i: number) => {
        const attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': models[i & 1], 'gen_ai.provider.name': 'openai', 'gen_ai.response.model': 'gpt-4o-2024-08-06' };
        histogram.record(i, attributes);
        histogram.record(i, { ...attributes, 'gen_ai.token.type': 'input' });
      };
  for (let i = 0; i < 200_000; i++) call(i);
  const n = 1_000_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) call(i);
  process.stdout.write(JSON.stringify({ nsPerUnit: Number(process.hrtime.bigint() - started) / n }));
}
function measureUlid(ours: boolean): void {
  const { randomFillSync } = require('node:crypto') as typeof import('node:crypto');
  const { ulid } = require('ulid') as typeof import('ulid');
  const { newUlid } = require(resolve(REPO_ROOT, 'dist/libs/contracts/src/ids.js')) as { newUlid(): string };
  // ulid with the pool of random bytes Tollgate gave it before (one crypto call per 4 KiB, not per character).
  const pool = Buffer.allocUnsafe(4096);
  let next = pool.length;
  const pooled = (): number => {
    if (next >= pool.length) {
      randomFillSync(pool);
      next = 0;
    }
    return pool[next++] / 256;
  };
  const make = ours ? newUlid : () => ulid(undefined, pooled);
  let length = 0;
  for (let i = 0; i < 200_000; i++) length += make().length;
  const n = 1_000_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) length += make().length;
  if (length !== 26 * (n + 200_000)) throw new Error('an id of the wrong length');
  process.stdout.write(JSON.stringify({ nsPerUnit: Number(process.hrtime.bigint() - started) / n }));
}
function measureGrouping(variant: Variant): void {
  type Grouping = (args: { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: (args: { message: unknown }) => number }) => Record<number, unknown[]>;
  const grouping: Grouping = variant.startsWith('grouping-kafkajs')
    ? (require('kafkajs/src/producer/groupMessagesPerPartition') as Grouping)
    : (require(resolve(REPO_ROOT, 'dist/libs/messaging/src/kafka/kafkajs-partitioner.js')) as { groupMessagesPerPartition: Grouping }).groupMessagesPerPartition;
  const size = Number(variant.split('-').pop());
  // As in the bench: one partition, the messages keyed by tenant; the partitioner as cheap as the memoized one.
  const partitionMetadata = [{ partitionId: 0, leader: 0 }];
  const messages = Array.from({ length: size }, (_, i) => ({ key: 'tenant', value: String(i) }));
  const partitioner = (): number => 0;
  let count = 0;
  const send = (): void => {
    count += grouping({ topic: 't', partitionMetadata, messages, partitioner })[0]!.length;
  };
  for (let i = 0; i < 2_000; i++) send();
  const sends = 20_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < sends; i++) send();
  if (count !== size * (sends + 2_000)) throw new Error('a grouping lost messages');
  process.stdout.write(JSON.stringify({ nsPerUnit: Number(process.hrtime.bigint() - started) / (sends * size) }));
}
/* eslint-enable @typescript-eslint/no-require-imports */

function runChild(variant: Variant): number {
  const out = execFileSync(process.execPath, [__filename, '--child', variant], { cwd: REPO_ROOT, encoding: 'utf8' });
  return (JSON.parse(out) as { nsPerUnit: number }).nsPerUnit;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main(): void {
  const child = process.argv.indexOf('--child');
  if (child >= 0) {
    const variant = process.argv[child + 1] as Variant;
    if (variant.startsWith('kafka')) measureKafka(variant);
    else if (variant.startsWith('ulid')) measureUlid(variant === 'ulid-tollgate');
    else if (variant.startsWith('grouping')) measureGrouping(variant);
    else measureMetrics(variant === 'metrics-interned');
    return;
  }
  const pairs: Array<{ label: string; unit: string; before: Variant; after: Variant; beforeName: string; afterName: string }> = [
    { label: `kafkajs: encode a Produce request with its header (${KAFKA_MESSAGES} messages of 1.4 KB)`, unit: 'µs per message', before: 'kafka-original', after: 'kafka-patched', beforeName: 'kafkajs 2.2.4 as shipped', afterName: 'one-pass Produce encoder' },
    { label: 'the same, against the earlier patches', unit: 'µs per message', before: 'kafka-records', after: 'kafka-patched', beforeName: 'kafkajs layers + in-place encoder + record encoder + crc-32 CRC-32C', afterName: 'one-pass Produce encoder' },
    { label: 'OpenTelemetry: two histogram points per call', unit: 'µs per call', before: 'metrics-plain', after: 'metrics-interned', beforeName: 'fresh attribute objects', afterName: 'interned frozen sets, hash kept' },
    { label: 'a ULID (three per call: request, call and event ids)', unit: 'µs per id', before: 'ulid-package', after: 'ulid-tollgate', beforeName: 'ulid 3 with pooled random bytes', afterName: 'spelled into a buffer (libs/contracts ids.ts)' },
    ...[100, 300].map((size) => ({
      label: `kafkajs grouping a send of ${size} messages by partition (one partition)`,
      unit: 'µs per message',
      before: `grouping-kafkajs-${size}` as Variant,
      after: `grouping-tollgate-${size}` as Variant,
      beforeName: 'kafkajs 2.2.4 (copies the array per message)',
      afterName: 'one pass (libs/messaging kafkajs-partitioner.ts)',
    })),
  ];
  const rows: string[] = [];
  for (const pair of pairs) {
    const before: number[] = [];
    const after: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      before.push(runChild(pair.before) / 1000);
      after.push(runChild(pair.after) / 1000);
    }
    const row = `| ${pair.label} | ${pair.beforeName}: ${before.map((v) => v.toFixed(2)).join(' / ')} | ${pair.afterName}: ${after.map((v) => v.toFixed(2)).join(' / ')} | ${pair.unit} | ${(median(before) / median(after)).toFixed(1)}× |`;
    console.log(row);
    rows.push(row);
  }
  const machine = describeMachine(REPO_ROOT);
  const section = [
    '## Gateway hot-path pieces (`npm run bench:gateway-micro`)',
    '',
    `Run ${new Date().toISOString()} at commit ${machine.commit} on ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}. Each figure is one fresh Node process (warmed up, then timed with hrtime); before and after take turns, ${ROUNDS} rounds. These are the per-event and per-call costs that whole-process CPU in bench:gateway cannot resolve on this machine (its run-to-run spread is ±10%).`,
    '',
    '| piece | before (each round) | after (each round) | unit | median speed-up |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  const args = process.argv.slice(2);
  if (!args.includes('--no-docs')) writeSection(resolve(REPO_ROOT, 'docs/benchmarks.md'), 'gateway-micro', section);
}

main();
