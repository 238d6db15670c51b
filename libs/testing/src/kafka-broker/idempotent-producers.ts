// Sequence checks of the idempotent producer (KIP-98): per producer id and partition the broker
// remembers the last sequence and the last few batches, so a retried batch is acknowledged with
// its original offset instead of being appended twice, and a gap is refused.
import { ErrorCode } from './protocol';
import type { ErrorCodeValue } from './protocol';
import type { RecordBatch } from './record-batch';

/** Kafka keeps the metadata of the last five batches per producer and partition (max.in.flight <= 5). */
const REMEMBERED_BATCHES = 5;
const SEQUENCE_LIMIT = 2 ** 31; // sequences are int32 and wrap to 0

interface SequenceState {
  epoch: number;
  lastSequence: number;
  recent: Array<{ firstSequence: number; lastSequence: number; baseOffset: number }>;
}

export type SequenceVerdict = { kind: 'append' } | { kind: 'duplicate'; baseOffset: number } | { kind: 'refuse'; errorCode: ErrorCodeValue; reason: string };

export class IdempotentProducers {
  private nextProducerId = 1000;
  private readonly sequences = new Map<string, SequenceState>();

  /** A fresh producer id at epoch 0 (InitProducerId without a transactional id). */
  newProducerId(): { producerId: number; producerEpoch: number } {
    return { producerId: this.nextProducerId++, producerEpoch: 0 };
  }

  check(topic: string, partition: number, batch: RecordBatch): SequenceVerdict {
    if (batch.producerId < 0) return { kind: 'append' };
    const state = this.sequences.get(key(batch.producerId, topic, partition));
    if (!state || batch.producerEpoch > state.epoch) {
      return batch.baseSequence === 0
        ? { kind: 'append' }
        : { kind: 'refuse', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, reason: `first batch of producer ${batch.producerId} epoch ${batch.producerEpoch} starts at sequence ${batch.baseSequence}, not 0` };
    }
    if (batch.producerEpoch < state.epoch) {
      return { kind: 'refuse', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, reason: `producer ${batch.producerId} epoch ${batch.producerEpoch} is older than ${state.epoch}` };
    }
    const last = lastSequenceOf(batch);
    const duplicate = state.recent.find((seen) => seen.firstSequence === batch.baseSequence && seen.lastSequence === last);
    if (duplicate) return { kind: 'duplicate', baseOffset: duplicate.baseOffset };
    const expected = (state.lastSequence + 1) % SEQUENCE_LIMIT;
    if (batch.baseSequence !== expected) {
      return { kind: 'refuse', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, reason: `producer ${batch.producerId} sent sequence ${batch.baseSequence} to ${topic}/${partition}, expected ${expected}` };
    }
    return { kind: 'append' };
  }

  /** Records an appended batch; call after `check` said append. */
  appended(topic: string, partition: number, batch: RecordBatch, baseOffset: number): void {
    if (batch.producerId < 0) return;
    const id = key(batch.producerId, topic, partition);
    let state = this.sequences.get(id);
    if (!state || batch.producerEpoch > state.epoch) {
      state = { epoch: batch.producerEpoch, lastSequence: -1, recent: [] };
      this.sequences.set(id, state);
    }
    state.lastSequence = lastSequenceOf(batch);
    state.recent.push({ firstSequence: batch.baseSequence, lastSequence: state.lastSequence, baseOffset });
    if (state.recent.length > REMEMBERED_BATCHES) state.recent.shift();
  }
}

function key(producerId: number, topic: string, partition: number): string {
  return `${producerId}/${topic}/${partition}`;
}

function lastSequenceOf(batch: RecordBatch): number {
  return (batch.baseSequence + batch.recordCount - 1) % SEQUENCE_LIMIT;
}
