// Topics and their partition logs, in memory. Nothing is ever deleted or compacted: a consumer
// reading a compacted topic from the beginning sees every version of a key, newest last, which is
// what a last-value-wins reader needs.
import { assignBaseOffset } from './record-batch';
import type { RecordBatch } from './record-batch';

export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  bytes: Buffer;
}

export class PartitionLog {
  readonly batches: StoredBatch[] = [];
  private nextOffset = 0;

  /** Nothing is deleted, so the log always starts at 0. */
  get startOffset(): number {
    return 0;
  }

  /** The offset the next record gets; also the high watermark (one replica, so all is committed). */
  get endOffset(): number {
    return this.nextOffset;
  }

  append(batch: RecordBatch): number {
    const baseOffset = this.nextOffset;
    assignBaseOffset(batch.bytes, baseOffset);
    const lastOffset = baseOffset + batch.lastOffsetDelta;
    this.batches.push({ baseOffset, lastOffset, maxTimestamp: batch.maxTimestamp, bytes: batch.bytes });
    this.nextOffset = lastOffset + 1;
    return baseOffset;
  }

  /** Index of the first batch holding an offset >= `offset`. */
  private firstBatchFrom(offset: number): number {
    let low = 0;
    let high = this.batches.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.batches[middle].lastOffset < offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Bytes a fetch from `offset` could return. */
  bytesFrom(offset: number): number {
    let size = 0;
    for (let i = this.firstBatchFrom(offset); i < this.batches.length; i++) size += this.batches[i].bytes.length;
    return size;
  }

  /**
   * Whole batches from the one holding `offset`, up to `maxBytes`; with `atLeastOne` the first
   * batch comes even if it is bigger (KIP-74), so a large batch cannot stall a consumer.
   */
  read(offset: number, maxBytes: number, atLeastOne: boolean): Buffer[] {
    const read: Buffer[] = [];
    let size = 0;
    for (let i = this.firstBatchFrom(offset); i < this.batches.length; i++) {
      const bytes = this.batches[i].bytes;
      if (size + bytes.length > maxBytes && !(atLeastOne && read.length === 0)) break;
      read.push(bytes);
      size += bytes.length;
    }
    return read;
  }

  /** The first batch whose newest record is at or after `timestamp`, or undefined. */
  firstBatchAtOrAfter(timestamp: number): StoredBatch | undefined {
    return this.batches.find((batch) => batch.maxTimestamp >= timestamp);
  }
}

export interface Topic {
  name: string;
  partitions: PartitionLog[];
  /** Config entries given at creation (e.g. cleanup.policy); kept, not acted upon. */
  configs: Map<string, string | null>;
}

const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function isLegalTopicName(name: string): boolean {
  return LEGAL_TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}

export class TopicStore {
  private readonly topics = new Map<string, Topic>();
  private readonly appendListeners = new Set<() => void>();

  constructor(
    readonly defaultPartitions: number,
    readonly autoCreateTopics: boolean,
  ) {}

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  all(): Topic[] {
    return [...this.topics.values()];
  }

  create(name: string, partitions: number, configs = new Map<string, string | null>()): Topic {
    const topic: Topic = { name, partitions: Array.from({ length: partitions }, () => new PartitionLog()), configs };
    this.topics.set(name, topic);
    return topic;
  }

  /** The topic, created with the default partition count if auto-creation is on; undefined otherwise. */
  getOrAutoCreate(name: string, allowed = true): Topic | undefined {
    const existing = this.topics.get(name);
    if (existing) return existing;
    if (!allowed || !this.autoCreateTopics || !isLegalTopicName(name)) return undefined;
    return this.create(name, this.defaultPartitions);
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /** Tells long-polling fetches that data arrived. */
  notifyAppend(): void {
    for (const listener of [...this.appendListeners]) listener();
  }

  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }
}
