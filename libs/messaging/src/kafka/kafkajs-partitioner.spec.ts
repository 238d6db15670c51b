import { Partitioners } from 'kafkajs';
import type { PartitionMetadata } from 'kafkajs';
import { MemoizedDefaultPartitioner } from './kafkajs-partitioner';

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
