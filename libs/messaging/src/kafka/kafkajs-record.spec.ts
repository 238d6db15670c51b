import { encodeKafkaRecord } from './kafkajs-record';
import type { EncodedRecord, KafkaRecordInput } from './kafkajs-record';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' own record encoder, the reference
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: KafkaRecordInput) => EncodedRecord;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the Encoder class kafkajs' record batch checks for
const Encoder = require('kafkajs/src/protocol/encoder') as new () => unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' Long, one of the timestamp forms it accepts
const Long = require('kafkajs/src/utils/long') as { fromNumber(value: number): unknown; fromValue(value: unknown): unknown };

const event = JSON.stringify({ id: '01JBENCH'.padEnd(26, 'X'), type: 'llm.call', text: 'é ✓ 😀'.repeat(40) });
const traceHeaders = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'tollgate-event-type': 'llm.call', 'tollgate-event-version': '1' };

const cases: Array<[string, KafkaRecordInput]> = [
  ['an llm.call event with its three headers', { offsetDelta: 0, timestampDelta: 0, key: 'tenant-a', value: event, headers: traceHeaders }],
  ['Buffer key and value', { offsetDelta: 7, timestampDelta: 12, key: Buffer.from([0, 1, 2, 255]), value: Buffer.from('bytes') }],
  ['no key, no value, no headers', { offsetDelta: 3 }],
  ['null key and value, empty headers', { key: null, value: null, headers: {} }],
  ['a header with several values and a Buffer value', { offsetDelta: 1, key: 'k', value: 'v', headers: { multi: ['a', 'bé', Buffer.from([9])], one: Buffer.from('x') } }],
  ['offset delta 999, timestamp deltas at varint edges', { offsetDelta: 999, timestampDelta: 64, key: 'k', value: 'v' }],
  ['a negative timestamp delta', { offsetDelta: 2, timestampDelta: -1, key: 'k', value: 'v' }],
  ['the largest 32-bit timestamp delta', { offsetDelta: 0, timestampDelta: 2_147_483_647, key: 'k', value: 'v' }],
  ['a value of 300 KB (multi-byte length varints)', { key: 'big', value: 'x'.repeat(300_000), headers: { h: 'y'.repeat(200) } }],
  ['a timestamp delta just past 32 bits', { timestampDelta: 2_147_483_648, key: 'k', value: 'v' }],
  ['timestamp deltas of 40 and 53 bits, either sign', { timestampDelta: -(2 ** 40) - 3, key: 'k', value: 'v' }],
  ['the largest safe integer as timestamp delta', { timestampDelta: Number.MAX_SAFE_INTEGER, key: 'k', value: 'v' }],
  ['a timestamp delta as kafkajs Long', { timestampDelta: Long.fromNumber(5), key: 'k', value: 'v' }],
  ['a 64-bit Long timestamp delta', { timestampDelta: Long.fromValue('-9223372036854775808'), key: 'k', value: 'v' }],
];

describe('encodeKafkaRecord', () => {
  it.each(cases)('writes the bytes kafkajs writes: %s', (_name, record) => {
    const encoded = encodeKafkaRecord(record);
    expect(encoded).toBeInstanceOf(Encoder);
    expect(encoded?.buffer.equals(kafkajsRecord(record).buffer)).toBe(true);
    expect(encoded?.buffer.length).toBe(encoded?.offset);
  });

  it('refuses what kafkajs cannot encode either, saying what was wrong', () => {
    expect(() => kafkajsRecord({ key: 'k', value: 42 })).toThrow('must be of type string');
    expect(() => encodeKafkaRecord({ key: 'k', value: 42 })).toThrow("a Kafka message's value must be a string, a Buffer or null; got number");
    expect(() => encodeKafkaRecord({ key: 'k', value: 'v', headers: { n: 7 as unknown as string } })).toThrow("a Kafka message's header n must be a string, a Buffer or null; got number");
    expect(() => encodeKafkaRecord({ key: 'k', value: 'v', timestampDelta: 1.5 })).toThrow("a Kafka record's timestamp delta must be an integer; got 1.5");
  });
});
