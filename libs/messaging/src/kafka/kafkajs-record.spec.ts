import Module from 'node:module';
import { encodeKafkaRecord, installKafkajsRecordEncoder } from './kafkajs-record';
import type { EncodedRecord, KafkaRecordInput } from './kafkajs-record';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' own record encoder, the reference
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: KafkaRecordInput) => EncodedRecord;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the Encoder class kafkajs' record batch checks for
const Encoder = require('kafkajs/src/protocol/encoder') as new () => unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' Long, one of the timestamp forms it accepts
const Long = require('kafkajs/src/utils/long') as { fromNumber(value: number): unknown };

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
];

describe('encodeKafkaRecord', () => {
  it.each(cases)('writes the bytes kafkajs writes: %s', (_name, record) => {
    const encoded = encodeKafkaRecord(record);
    expect(encoded).toBeInstanceOf(Encoder);
    expect(encoded?.buffer.equals(kafkajsRecord(record).buffer)).toBe(true);
    expect(encoded?.buffer.length).toBe(encoded?.offset);
  });

  it('leaves to kafkajs what it does not handle: timestamp deltas beyond 32 bits or as a Long, values that are not strings or Buffers', () => {
    expect(encodeKafkaRecord({ timestampDelta: 2_147_483_648, key: 'k', value: 'v' })).toBeUndefined();
    expect(encodeKafkaRecord({ timestampDelta: Long.fromNumber(5), key: 'k', value: 'v' })).toBeUndefined();
    expect(encodeKafkaRecord({ key: 'k', value: 42 })).toBeUndefined();
    expect(encodeKafkaRecord({ key: 'k', value: 'v', headers: { n: 7 as unknown as string } })).toBeUndefined();
  });
});

describe('installKafkajsRecordEncoder', () => {
  const resolve = (id: string): string => `/fake/node_modules/${id}.js`;
  const recordPath = resolve('kafkajs/src/protocol/recordBatch/record/v0');

  /** A require that loads kafkajs' record encoder into the fake cache, as Node's would. */
  function loaderInto(cache: NodeJS.Dict<NodeJS.Module>): (path: string) => unknown {
    return (path) => {
      const module = new Module(path);
      module.exports = kafkajsRecord;
      cache[path] = module;
      return module.exports;
    };
  }

  it('replaces the record encoder in the require cache before the produce request takes it, once', () => {
    const cache: NodeJS.Dict<NodeJS.Module> = {};
    expect(installKafkajsRecordEncoder(cache, resolve, loaderInto(cache))).toBe('installed');
    const installed = cache[recordPath]?.exports as (record: KafkaRecordInput) => EncodedRecord;
    expect(installed).not.toBe(kafkajsRecord);
    expect(installKafkajsRecordEncoder(cache, resolve, loaderInto(cache))).toBe('already');
    // Its own bytes where it can, kafkajs' where it cannot (a Long timestamp delta).
    const [, record] = cases[0];
    expect(installed(record).buffer.equals(kafkajsRecord(record).buffer)).toBe(true);
    const long = { timestampDelta: Long.fromNumber(5), key: 'k', value: 'v' };
    expect(installed(long).buffer.equals(kafkajsRecord(long).buffer)).toBe(true);
  });

  it('leaves kafkajs alone once its produce request is loaded', () => {
    const cache: NodeJS.Dict<NodeJS.Module> = { [resolve('kafkajs/src/protocol/requests/produce/v3/request')]: new Module('request') };
    expect(installKafkajsRecordEncoder(cache, resolve, loaderInto(cache))).toBe('too-late');
    expect(cache[recordPath]).toBeUndefined();
  });
});
