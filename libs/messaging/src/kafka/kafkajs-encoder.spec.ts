import { Kafka, logLevel } from 'kafkajs';
import { KafkaTestBroker } from '@tollgate/testing';
import { kafkajsEncoder, patchKafkajsEncoder } from './kafkajs-encoder';

type Encoder = { buffer: Buffer; writeUVarInt(v: number): Encoder; writeVarInt(v: number): Encoder; writeVarLong(v: unknown): Encoder; writeVarIntBytes(v: unknown): Encoder };
type EncoderConstructor = { new (initialSize?: number): Encoder; sizeOfVarLong(v: unknown): number };

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the record encoder whose bytes must not change
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: { offsetDelta?: number; timestampDelta?: unknown; key: unknown; value: unknown; headers?: Record<string, string | string[]> }) => Encoder;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- 64-bit values as kafkajs passes them
const Long = require('kafkajs/src/utils/long') as { fromValue(v: unknown): unknown; fromString(v: string): unknown };

const Encoder = kafkajsEncoder() as unknown as EncoderConstructor;

const UNSIGNED = [0, 1, 63, 64, 127, 128, 255, 256, 16_383, 16_384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, -1, -2, -128, -129, -(2 ** 31)];
const SIGNED = [0, 1, -1, 2, -2, 63, -64, 64, -65, 1000, -1000, 2 ** 20, -(2 ** 20), 2 ** 31 - 1, -(2 ** 31)];
/** Varlongs: the 32-bit range the patch encodes itself, and what it leaves to kafkajs (wider, or a Long). */
const LONGS: unknown[] = [...SIGNED, 2 ** 31, -(2 ** 31) - 1, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, Long.fromValue(5), Long.fromString('-9223372036854775808')];
const RECORDS: Array<Parameters<typeof encodeRecord>[0]> = [
  { offsetDelta: 0, timestampDelta: 0, key: 'tenant-a', value: JSON.stringify({ id: 'x'.repeat(1500) }), headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'tollgate-event-type': 'llm.call', 'tollgate-event-version': '1' } },
  { offsetDelta: 300, timestampDelta: 123_456, key: null, value: Buffer.from([1, 2, 3]), headers: { multi: ['a', 'b'] } },
  { offsetDelta: 7, timestampDelta: -5, key: Buffer.alloc(0), value: '', headers: {} },
  { offsetDelta: 1, timestampDelta: 2 ** 35, key: 'k', value: 'v'.repeat(70_000) },
];

/** Every encoding this file compares, as hex, with whatever methods the Encoder has right now. */
function encodings(): { uvarints: string[]; varints: string[]; varlongs: string[]; sizes: number[]; records: string[] } {
  return {
    uvarints: UNSIGNED.map((v) => new Encoder().writeUVarInt(v).buffer.toString('hex')),
    varints: SIGNED.map((v) => new Encoder().writeVarInt(v).buffer.toString('hex')),
    varlongs: LONGS.map((v) => new Encoder().writeVarLong(v).buffer.toString('hex')),
    sizes: LONGS.map((v) => Encoder.sizeOfVarLong(v)),
    records: RECORDS.map((r) => encodeRecord(r).buffer.toString('hex')),
  };
}

describe('kafkajs encoder patch', () => {
  it('writes exactly the bytes kafkajs wrote, varint by varint and record by record', () => {
    const before = encodings();
    // A few spot checks that the comparison itself means something (LEB128 and zig-zag by hand).
    expect(before.uvarints[UNSIGNED.indexOf(128)]).toBe('8001');
    expect(before.varints[SIGNED.indexOf(-65)]).toBe('8101'); // zig-zag 129
    expect(before.varlongs[LONGS.indexOf(2 ** 31)]).toBe('8080808010');
    expect(patchKafkajsEncoder()).toBe(true);
    expect(patchKafkajsEncoder()).toBe(false); // once per process
    expect(encodings()).toEqual(before);
  });

  it('keeps what was written when a buffer grows past its first size, many times over', () => {
    patchKafkajsEncoder();
    const encoder = new Encoder(8);
    const values: number[] = [];
    for (let i = 0; i < 5000; i++) values.push((i * 2_654_435_761) % 2 ** 31);
    for (const v of values) encoder.writeVarInt(v).writeVarIntBytes(`value-${v}`);
    const expected = Buffer.concat(values.map((v) => {
      const zigzag = v * 2;
      const bytes: number[] = [];
      let rest = zigzag;
      while (rest >= 0x80) {
        bytes.push((rest % 128) | 0x80);
        rest = Math.floor(rest / 128);
      }
      bytes.push(rest);
      const text = Buffer.from(`value-${v}`);
      return Buffer.concat([Buffer.from(bytes), Buffer.from([text.length * 2]), text]);
    }));
    expect(encoder.buffer.equals(expected)).toBe(true);
  });

  describe('through a broker that checks each batch CRC', () => {
    let broker: KafkaTestBroker;
    beforeAll(async () => {
      broker = await KafkaTestBroker.start({ partitions: 1 });
    });
    afterAll(async () => {
      await broker.stop();
    });

    it('produces batches the broker accepts and decodes back to the same messages', async () => {
      patchKafkajsEncoder();
      const producer = new Kafka({ clientId: 'encoder-spec', brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        const now = Date.now();
        const messages = Array.from({ length: 50 }, (_, i) => ({
          key: `tenant-${i % 3}`,
          value: JSON.stringify({ i, text: 'é'.repeat(i * 40) }),
          headers: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, n: String(i) },
          timestamp: String(now + i * 1000),
        }));
        await producer.send({ topic: 'encoder-spec', acks: -1, messages });
        const stored = broker.topicMessages('encoder-spec');
        expect(stored.map((m) => ({ key: m.key?.toString(), value: m.value?.toString(), n: m.headers.find((h) => h.key === 'n')?.value?.toString(), timestamp: m.timestamp }))).toEqual(
          messages.map((m) => ({ key: m.key, value: m.value, n: m.headers.n, timestamp: Number(m.timestamp) })),
        );
      } finally {
        await producer.disconnect();
      }
    });
  });
});
