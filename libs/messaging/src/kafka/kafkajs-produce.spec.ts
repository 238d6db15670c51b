import Module from 'node:module';
import { createKafkaRequest, installKafkajsProduceEncoder, produceRequestV3 } from './kafkajs-produce';
import type { CreateRequestArgs, KafkajsRequest, ProduceRequestArgs } from './kafkajs-produce';
import type { EncodedRecord } from './kafkajs-record';

// Jest's module registry has no require cache to install into, so these are kafkajs' own: the reference.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' produce v3 request
const kafkajsProduceV3 = require('kafkajs/src/protocol/requests/produce/v3/request') as (args: ProduceRequestArgs) => KafkajsRequest;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' v7 request (v3's, another version number)
const kafkajsProduceV7 = require('kafkajs/src/protocol/requests/produce/v7/request') as (args: ProduceRequestArgs) => KafkajsRequest;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' request header
const kafkajsCreateRequest = require('kafkajs/src/protocol/request') as (args: CreateRequestArgs) => Promise<EncodedRecord>;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' Long, as its idempotent producer passes producer ids
const Long = require('kafkajs/src/utils/long') as { fromValue(value: unknown): unknown; fromInt(value: number): unknown };

const NOW = 1_765_000_000_123;
const event = JSON.stringify({ id: '01JBENCH'.padEnd(26, 'X'), type: 'llm.call', text: 'é ✓ 😀'.repeat(40) });
const traceHeaders = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'tollgate-event-type': 'llm.call', 'tollgate-event-version': '1' };
const events = (n: number, tenant = 'tenant-a') => Array.from({ length: n }, (_, i) => ({ key: `${tenant}-${i % 3}`, value: `${event}${i}`, headers: traceHeaders }));

const cases: Array<[string, ProduceRequestArgs]> = [
  ['an idempotent producer, a hundred events on one partition', { acks: -1, timeout: 30_000, producerId: Long.fromValue(4711), producerEpoch: 2, topicData: [{ topic: 'tollgate.llm.call.v1', partitions: [{ partition: 0, firstSequence: 1_200, messages: events(100) }] }] }],
  [
    'two topics, three partitions, a transactional id',
    {
      acks: -1,
      timeout: 5_000,
      transactionalId: 'tx-é',
      producerId: Long.fromValue('9007199254740993'),
      producerEpoch: 7,
      topicData: [
        { topic: 'tollgate.llm.call.v1', partitions: [{ partition: 2, firstSequence: 0, messages: events(3) }, { partition: 0, firstSequence: 9, messages: events(1, 'b') }] },
        { topic: 'tollgate.governance.snapshot.v1', partitions: [{ partition: 1, firstSequence: 0, messages: [{ key: null, value: null }, { key: Buffer.from([0, 255]), value: Buffer.from('bytes'), headers: { multi: ['a', 'bé', Buffer.from([9])] } }] }] },
      ],
    },
  ],
  ['defaults: no producer id, epoch, sequence or transaction', { acks: 1, timeout: 100, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }] }] }] }],
  [
    'messages with their own timestamps, numbers and numeric strings, some without',
    {
      acks: -1,
      timeout: 30_000,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'a', value: '1', timestamp: NOW - 5_000 }, { key: 'b', value: '2' }, { key: 'c', value: '3', timestamp: String(NOW - 9_000) }, { key: 'd', value: '4', timestamp: NOW + 1 }] }] }],
    },
  ],
  ['a timestamp weeks before the rest (a varlong delta)', { acks: -1, timeout: 30_000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'a', value: '1', timestamp: NOW - 40 * 86_400_000 }, { key: 'b', value: '2' }] }] }] }],
  ['acks 0, a value of 300 KB', { acks: 0, timeout: 30_000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'big', value: 'x'.repeat(300_000) }] }] }] }],
  ['a partition with no messages', { acks: -1, timeout: 30_000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [] }] }] }],
  ['no topics', { acks: -1, timeout: 30_000, topicData: [] }],
];

async function requestBytes(create: (args: CreateRequestArgs) => Promise<EncodedRecord>, request: CreateRequestArgs['request'], clientId: string | null = 'tollgate-gateway-producer'): Promise<Buffer> {
  return (await create({ correlationId: 1234567, clientId, request })).buffer;
}

describe('produceRequestV3 with createKafkaRequest', () => {
  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each(cases)('writes the bytes kafkajs writes: %s', async (_name, args) => {
    const ours = await requestBytes(createKafkaRequest, produceRequestV3(args));
    const theirs = await requestBytes(kafkajsCreateRequest, kafkajsProduceV3(args));
    expect(ours.length).toBe(theirs.length);
    expect(ours.equals(theirs)).toBe(true);
  });

  it('describes the request as kafkajs does, later versions included', () => {
    const args = cases[0][1];
    const ours = produceRequestV3(args);
    const theirs = kafkajsProduceV3(args);
    expect({ apiKey: ours.apiKey, apiVersion: ours.apiVersion, apiName: ours.apiName, expectResponse: ours.expectResponse() }).toEqual({ apiKey: theirs.apiKey, apiVersion: theirs.apiVersion, apiName: theirs.apiName, expectResponse: true });
    expect(produceRequestV3({ ...args, acks: 0 }).expectResponse()).toBe(false);
    // v7 is v3's request with another version number: the body is the same whichever module made it.
    expect(kafkajsProduceV7(args).apiVersion).toBe(7);
  });

  it('writes the header in front of the body it was given room for, and copies other bodies once, also with a long or missing client id', async () => {
    const request = produceRequestV3(cases[0][1]);
    const body = await request.encode();
    const clientIds: Array<[string | null, boolean]> = [
      ['tollgate-gateway-producer', true],
      ['c'.repeat(150), false],
      [null, true],
    ];
    for (const [clientId, inPlace] of clientIds) {
      const ours = await requestBytes(createKafkaRequest, { ...request, encode: () => Promise.resolve(body) }, clientId);
      const theirs = await requestBytes(kafkajsCreateRequest, { ...request, encode: () => Promise.resolve(body) }, clientId);
      expect(ours.equals(theirs)).toBe(true);
      // The request shares the body's memory only when the header fitted in front of it.
      expect(ours.buffer === body.buf.buffer).toBe(inPlace);
    }
    // A body kafkajs encoded (an Encoder without room): the same bytes as kafkajs'.
    const metadata = { apiKey: 3, apiVersion: 1, encode: () => kafkajsProduceV3(cases[2][1]).encode() };
    expect((await requestBytes(createKafkaRequest, metadata)).equals(await requestBytes(kafkajsCreateRequest, metadata))).toBe(true);
  });

  it('refuses compression and values kafkajs cannot encode, saying why', async () => {
    await expect(produceRequestV3({ ...cases[2][1], compression: 1 }).encode()).rejects.toThrow("Tollgate's Kafka produce encoder writes uncompressed batches only (asked for compression 1)");
    const bad = { acks: -1, timeout: 1, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 42 }] }] }] };
    await expect(produceRequestV3(bad).encode()).rejects.toThrow("a Kafka message's value must be a string, a Buffer or null; got number");
  });
});

describe('installKafkajsProduceEncoder', () => {
  const resolve = (id: string): string => `/fake/node_modules/${id}.js`;
  const producePath = resolve('kafkajs/src/protocol/requests/produce/v3/request');
  const requestPath = resolve('kafkajs/src/protocol/request');

  it('puts both in the require cache under kafkajs paths, without loading kafkajs own, once', () => {
    const cache: NodeJS.Dict<NodeJS.Module> = {};
    expect(installKafkajsProduceEncoder(cache, resolve)).toEqual({ produce: 'installed', request: 'installed' });
    expect(cache[producePath]?.exports).toBe(produceRequestV3);
    expect(cache[requestPath]?.exports).toBe(createKafkaRequest);
    expect(Object.keys(cache).sort()).toEqual([requestPath, producePath].sort());
    expect(installKafkajsProduceEncoder(cache, resolve)).toEqual({ produce: 'already', request: 'already' });
  });

  it('leaves kafkajs alone once the modules that take them are loaded', () => {
    const cache: NodeJS.Dict<NodeJS.Module> = { [resolve('kafkajs/src/protocol/requests/produce/v7/request')]: new Module('v7'), [resolve('kafkajs/src/network/connection')]: new Module('connection') };
    expect(installKafkajsProduceEncoder(cache, resolve)).toEqual({ produce: 'too-late', request: 'too-late' });
    expect(cache[producePath]).toBeUndefined();
    expect(cache[requestPath]).toBeUndefined();
  });
});
