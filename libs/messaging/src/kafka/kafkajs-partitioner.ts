import type { ICustomPartitioner, PartitionMetadata, Partitioners } from 'kafkajs';
import { replaceKafkajsModule } from './kafkajs-module';
import type { KafkajsModuleInstall } from './kafkajs-module';

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

const GROUPING_MODULE = 'kafkajs/src/producer/groupMessagesPerPartition';
/** The module that takes the grouping when it is first required. */
const SEND_MESSAGES_MODULE = 'kafkajs/src/producer/sendMessages';

interface GroupingArgs<M> {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  messages: M[];
  partitioner: (args: { topic: string; partitionMetadata: PartitionMetadata[]; message: M }) => number;
}

/**
 * kafkajs' `groupMessagesPerPartition` (2.2.4) copies the partition's array for each message it adds
 * (`[...current, message]` in a reduce), so a send of n messages to one partition copies n²/2
 * elements into n fresh arrays: the outbox sends its whole backlog at once, so the work per event
 * grows with the load (`npm run bench:gateway-micro`: "kafkajs grouping" rows). The same grouping
 * in one pass: messages keep their order within each partition, partitions are keyed as kafkajs
 * keys them, and no partition metadata still gives an empty grouping. Hand-written because kafkajs
 * takes the module by path, with no setting for it.
 */
export function groupMessagesPerPartition<M>({ topic, partitionMetadata, messages, partitioner }: GroupingArgs<M>): Record<number, M[]> {
  const grouped: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return grouped;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = grouped[partition];
    if (list === undefined) grouped[partition] = [message];
    else list.push(message);
  }
  return grouped;
}

/**
 * Puts groupMessagesPerPartition in kafkajs' place in the require cache, before kafkajs' producer
 * first requires it (see replaceKafkajsModule); `too-late` leaves kafkajs' own.
 */
export function installKafkajsPartitionGrouping(cache?: NodeJS.Dict<NodeJS.Module>, resolve?: (id: string) => string): KafkajsModuleInstall {
  return replaceKafkajsModule(GROUPING_MODULE, groupMessagesPerPartition, [SEND_MESSAGES_MODULE], cache, resolve);
}
