import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { KafkaTestBroker } from '@tollgate/testing';

const ROOT = resolve(__dirname, '..');

/**
 * The kafkajs patches (libs/messaging/src/kafka/kafkajs-*.ts) as a service process gets them: the
 * built kafkaClientConfig in a plain Node process (Jest's module registry has no require cache to
 * install the CRC into), producing to the test broker, which refuses a batch whose CRC-32C is wrong.
 */
const PRODUCER = `
const { kafkaClientConfig } = require('./dist/libs/messaging/src/kafka/kafka.config.js');
const { kafkaCrc32c } = require('./dist/libs/messaging/src/kafka/kafkajs-crc32c.js');
const { Kafka, logLevel } = require('kafkajs');
(async () => {
  const kafka = new Kafka({ ...kafkaClientConfig({ kind: 'kafka', clientId: 'e2e-kafkajs-patches', brokers: [process.env.BROKER] }), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let round = 0; round < 3; round++) {
    const messages = Array.from({ length: 40 }, (_, i) => ({ key: 'tenant-' + (i % 4), value: JSON.stringify({ round, i, text: 'é'.repeat(i * 30) }), headers: { n: String(round * 40 + i) } }));
    await producer.send({ topic: 'kafkajs-patches', acks: -1, messages });
  }
  await producer.disconnect();
  const crc = require('kafkajs/src/protocol/recordBatch/crc32C');
  const record = require('kafkajs/src/protocol/recordBatch/record/v0');
  console.log(JSON.stringify({ crcReplaced: crc === kafkaCrc32c, recordEncoderReplaced: record[Symbol.for('tollgate.kafkajs.recordEncoder')] === true }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

function run(broker: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-e', PRODUCER], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', BROKER: broker }, stdio: ['ignore', 'pipe', 'pipe'] });
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

  it('encodes records and sums batches with the fast code, and the broker accepts and decodes every message', async () => {
    const { code, stdout, stderr } = await run(broker.brokers[0]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout.trim())).toEqual({ crcReplaced: true, recordEncoderReplaced: true });
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
