import { Partitioners } from 'kafkajs';
import type { PartitionMetadata } from 'kafkajs';
import Module from 'node:module';
import { groupMessagesPerPartition, installKafkajsPartitionGrouping, MemoizedDefaultPartitioner } from './kafkajs-partitioner';

// kafkajs' own, by path: the package exports only its index.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
const kafkajsGrouping = require('kafkajs/src/producer/groupMessagesPerPartition') as typeof groupMessagesPerPartition;

function metadata(count: number, leaderless: number[] = []): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: leaderless.includes(partitionId) ? -1 : 0, replicas: [0], isr: [0], offlineReplicas: [], partitionErrorCode: 0 }));
}

describe('MemoizedDefaultPartitioner', () => {
  it("puts every keyed message where kafkajs' DefaultPartitioner (murmur2) does, asked once or many times", () => {
    const memoized = MemoizedDefaultPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const keys = Array.from({ length: 300 }, (_, i) => `tenant-${i}-${'é'.repeat(i % 5)}`);
    for (const count of [1, 3, 6, 12, 7]) {
      const partitionMetadata = metadata(count, [1]);
      for (const key of [...keys, ...keys]) {
        expect(memoized({ topic: 't', partitionMetadata, message: { key, value: 'v' } })).toBe(reference({ topic: 't', partitionMetadata, message: { key, value: 'v' } }));
      }
    }
    // Not all in one partition, or the comparison would prove little.
    const spread = new Set(keys.map((key) => memoized({ topic: 't', partitionMetadata: metadata(12), message: { key, value: 'v' } })));
    expect(spread.size).toBe(12);
  });

  it('leaves explicit partitions, Buffer keys and keyless messages to kafkajs', () => {
    const memoized = MemoizedDefaultPartitioner();
    const partitionMetadata = metadata(6);
    expect(memoized({ topic: 't', partitionMetadata, message: { key: 'tenant-a', value: 'v', partition: 4 } })).toBe(4);
    const reference = Partitioners.DefaultPartitioner();
    const bufferKey = Buffer.from('tenant-b');
    expect(memoized({ topic: 't', partitionMetadata, message: { key: bufferKey, value: 'v' } })).toBe(reference({ topic: 't', partitionMetadata, message: { key: bufferKey, value: 'v' } }));
    // Keyless: round robin over available partitions, so several messages spread.
    const keyless = new Set(Array.from({ length: 12 }, () => memoized({ topic: 't', partitionMetadata, message: { value: 'v' } })));
    expect(keyless.size).toBeGreaterThan(1);
  });
});

describe('groupMessagesPerPartition', () => {
  it("groups as kafkajs' own does: the same partitions, keyed alike, each message once and in order", () => {
    for (const count of [1, 3, 12]) {
      const partitionMetadata = metadata(count);
      const messages = Array.from({ length: 500 }, (_, i) => ({ key: `tenant-${i % 37}`, value: String(i) }));
      // One partitioner per grouping: kafkajs' round robin and memo keep state between calls.
      const ours = groupMessagesPerPartition({ topic: 't', partitionMetadata, messages, partitioner: MemoizedDefaultPartitioner() });
      const theirs = kafkajsGrouping({ topic: 't', partitionMetadata, messages, partitioner: MemoizedDefaultPartitioner() });
      expect(ours).toEqual(theirs);
      expect(Object.keys(ours)).toEqual(Object.keys(theirs));
      expect(Object.values(ours).flat().length).toBe(messages.length);
      for (const list of Object.values(ours)) expect(list.map((m) => Number(m.value))).toEqual([...list.map((m) => Number(m.value))].sort((a, b) => a - b));
      if (count > 1) expect(Object.keys(ours).length).toBe(count);
    }
  });

  it('gives an empty grouping without partition metadata, and keeps explicit partitions', () => {
    const messages = [{ value: 'a', partition: 2 }, { value: 'b', partition: 0 }, { value: 'c', partition: 2 }];
    const partitioner = ({ message }: { message: { partition: number } }): number => message.partition;
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner })).toEqual({});
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: metadata(3), messages, partitioner })).toEqual({ 0: [messages[1]], 2: [messages[0], messages[2]] });
  });
});

describe('installKafkajsPartitionGrouping', () => {
  const resolve = (id: string): string => `/fake/node_modules/${id}.js`;
  const groupingPath = resolve('kafkajs/src/producer/groupMessagesPerPartition');

  it('puts the grouping in the require cache under its kafkajs path, once', () => {
    const cache: NodeJS.Dict<NodeJS.Module> = {};
    expect(installKafkajsPartitionGrouping(cache, resolve)).toBe('installed');
    expect(cache[groupingPath]?.exports).toBe(groupMessagesPerPartition);
    expect(Object.keys(cache)).toEqual([groupingPath]);
    expect(installKafkajsPartitionGrouping(cache, resolve)).toBe('already');
  });

  it("leaves kafkajs' own once its producer has taken it", () => {
    const cache: NodeJS.Dict<NodeJS.Module> = { [resolve('kafkajs/src/producer/sendMessages')]: new Module('sendMessages') };
    expect(installKafkajsPartitionGrouping(cache, resolve)).toBe('too-late');
    expect(cache[groupingPath]).toBeUndefined();
  });
});
