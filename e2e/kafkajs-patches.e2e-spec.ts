import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { KafkaTestBroker } from '@tollgate/testing';

const ROOT = resolve(__dirname, '..');

/**
 * The kafkajs patches (libs/messaging/src/kafka/kafkajs-*.ts) as a service process gets them: the
 * built kafkaClientConfig in a plain Node process (Jest's module registry has no require cache to
 * install the Produce encoder into), producing to the test broker, which refuses a batch whose
 * CRC-32C is wrong.
 */
const PRODUCER = `
// Telemetry first, as every service starts it: its require hook (require-in-the-middle) keeps the
// exports of each module it sees, so a patch that swaps a module after loading it would not show.
require('./dist/libs/telemetry/src/index.js').startTelemetry({ serviceName: 'e2e-kafkajs-patches' });
const { kafkaClientConfig } = require('./dist/libs/messaging/src/kafka/kafka.config.js');
const { produceRequestV3, createKafkaRequest } = require('./dist/libs/messaging/src/kafka/kafkajs-produce.js');
const { groupMessagesPerPartition } = require('./dist/libs/messaging/src/kafka/kafkajs-partitioner.js');
// As in a service: the client's settings are made (and kafkajs patched) before kafkajs is loaded.
const config = kafkaClientConfig({ kind: 'kafka', clientId: 'e2e-kafkajs-patches', brokers: [process.env.BROKER] });
const { Kafka, logLevel } = require('kafkajs');
(async () => {
  const kafka = new Kafka({ ...config, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let round = 0; round < 3; round++) {
    const messages = Array.from({ length: 40 }, (_, i) => ({ key: 'tenant-' + (i % 4), value: JSON.stringify({ round, i, text: 'é'.repeat(i * 30) }), headers: { n: String(round * 40 + i) } }));
    await producer.send({ topic: 'kafkajs-patches', acks: -1, messages });
  }
  // Messages with timestamps of their own, one weeks older than the rest of its batch (a varlong delta).
  const stamped = [{ key: 'tenant-0', value: 'old', timestamp: String(Date.now() - 40 * 86400000), headers: { n: 'stamped-0' } }, { key: 'tenant-0', value: 'now', headers: { n: 'stamped-1' } }];
  await producer.send({ topic: 'kafkajs-patches-stamped', acks: -1, messages: stamped });
  // A header value kafkajs cannot encode: the error says which record encoder the produce request used.
  const refusal = await producer.send({ topic: 'kafkajs-patches', acks: -1, messages: [{ key: 'k', value: 'v', headers: { bad: 7 } }] }).then(() => 'sent', (error) => error.message);
  await producer.disconnect();
  const produceReplaced = require('kafkajs/src/protocol/requests/produce/v3/request') === produceRequestV3;
  const requestReplaced = require('kafkajs/src/protocol/request') === createKafkaRequest;
  const groupingReplaced = require('kafkajs/src/producer/groupMessagesPerPartition') === groupMessagesPerPartition;
  console.log(JSON.stringify({ produceReplaced, requestReplaced, groupingReplaced, refusal }));
  process.exit(0);
})().catch((error) => { console.error(error); process.exit(1); });
`;

function run(broker: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Telemetry on as in a service, exporting nowhere (no collector here).
  const env = { PATH: process.env['PATH'] ?? '', BROKER: broker, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
  const child = spawn(process.execPath, ['-e', PRODUCER], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })));
}

describe('kafkajs patches in a service process', () => {
  let broker: KafkaTestBroker;
  beforeAll(async () => {
    broker = await KafkaTestBroker.start({ partitions: 3 });
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('encodes Produce requests in one pass, and the broker accepts and decodes every message', async () => {
    const startedAt = Date.now();
    const { code, stdout, stderr } = await run(broker.brokers[0]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout.trim())).toEqual({ produceReplaced: true, requestReplaced: true, groupingReplaced: true, refusal: "a Kafka message's header bad must be a string, a Buffer or null; got number" });
    const [old, now] = broker.topicMessages('kafkajs-patches-stamped');
    expect([old?.value?.toString(), now?.value?.toString()]).toEqual(['old', 'now']);
    // Within the run: the broker reads each record's timestamp as the batch's first plus the record's delta.
    expect(Math.abs(old.timestamp - (startedAt - 40 * 86_400_000))).toBeLessThan(60_000);
    expect(now.timestamp).toBeGreaterThanOrEqual(startedAt);
    expect(now.timestamp).toBeLessThanOrEqual(Date.now());
    const stored = broker.topicMessages('kafkajs-patches');
    const byN = new Map(stored.map((m) => [Number(m.headers.find((h) => h.key === 'n')?.value?.toString()), m]));
    expect(byN.size).toBe(120);
    for (let n = 0; n < 120; n++) {
      const round = Math.floor(n / 40);
      const i = n % 40;
      expect({ key: byN.get(n)?.key?.toString(), value: byN.get(n)?.value?.toString() }).toEqual({ key: `tenant-${i % 4}`, value: JSON.stringify({ round, i, text: 'é'.repeat(i * 30) }) });
    }
  });
});
