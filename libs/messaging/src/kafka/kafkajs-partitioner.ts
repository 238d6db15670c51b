import type { ICustomPartitioner, Partitioners } from 'kafkajs';

/** Distinct keys remembered per partition count before starting over. */
const MAX_KEYS = 10_000;

/**
 * kafkajs' DefaultPartitioner (murmur2 like the Java client, so keys land where Java producers put
 * them) hashes each keyed message's key through kafkajs' 64-bit `Long` emulation: a Buffer and a
 * dozen Long objects per message, ~2.5% of the bytes the gateway allocated per call. A keyed
 * message's partition is `murmur2(key) % partition count` and nothing else, and Tollgate's keys
 * are tenant ids, few and recurring: this asks kafkajs once per (partition count, key) and keeps
 * the answer. Messages with an explicit partition, without a key or with a Buffer key go to
 * kafkajs' partitioner every time (as do round-robin choices, which depend on availability).
 */
export const MemoizedDefaultPartitioner: ICustomPartitioner = () => {
  // Required when a producer is made, not when this module loads: loading kafkajs' index loads its
  // network code, and kafkaClientConfig puts the Produce encoder in place before that (kafkajs-produce.ts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  const { DefaultPartitioner } = require('kafkajs').Partitioners as typeof Partitioners;
  const partitioner = DefaultPartitioner();
  const known = new Map<number, Map<string, number>>();
  return (args) => {
    const { message, partitionMetadata } = args;
    const key = message.key;
    if (typeof key !== 'string' || (message.partition !== undefined && message.partition !== null)) return partitioner(args);
    let byKey = known.get(partitionMetadata.length);
    if (byKey === undefined) {
      byKey = new Map();
      known.set(partitionMetadata.length, byKey);
    }
    let partition = byKey.get(key);
    if (partition === undefined) {
      partition = partitioner(args);
      if (byKey.size >= MAX_KEYS) byKey.clear();
      byKey.set(key, partition);
    }
    return partition;
  };
};
