import { IdempotentProducers } from './idempotent-producers';
import { ErrorCode } from './protocol';
import type { RecordBatch } from './record-batch';

function batch(baseSequence: number, recordCount: number, producerEpoch = 0, producerId = 1000): RecordBatch {
  return { bytes: Buffer.alloc(0), lastOffsetDelta: recordCount - 1, maxTimestamp: 0, producerId, producerEpoch, baseSequence, recordCount };
}

describe('IdempotentProducers', () => {
  it('should acknowledge a retried batch with its original offset instead of appending it again', () => {
    const producers = new IdempotentProducers();
    producers.appended('t', 0, batch(0, 3), 40);
    producers.appended('t', 0, batch(3, 2), 43);
    expect(producers.check('t', 0, batch(0, 3))).toEqual({ kind: 'duplicate', baseOffset: 40 });
    expect(producers.check('t', 0, batch(3, 2))).toEqual({ kind: 'duplicate', baseOffset: 43 });
    expect(producers.check('t', 0, batch(5, 1))).toEqual({ kind: 'append' });
  });

  it('should refuse a gap in the sequence as OUT_OF_ORDER_SEQUENCE_NUMBER', () => {
    const producers = new IdempotentProducers();
    producers.appended('t', 0, batch(0, 3), 0);
    expect(producers.check('t', 0, batch(4, 1))).toMatchObject({ kind: 'refuse', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(producers.check('t', 1, batch(7, 1))).toMatchObject({ kind: 'refuse', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
  });

  it('should keep sequences per partition and per producer', () => {
    const producers = new IdempotentProducers();
    producers.appended('t', 0, batch(0, 5), 0);
    expect(producers.check('t', 1, batch(0, 1))).toEqual({ kind: 'append' });
    expect(producers.check('t', 0, batch(0, 1, 0, 1001))).toEqual({ kind: 'append' });
  });

  it('should refuse an older epoch and restart sequences at a newer one', () => {
    const producers = new IdempotentProducers();
    producers.appended('t', 0, batch(0, 5, 1), 0);
    expect(producers.check('t', 0, batch(5, 1, 0))).toMatchObject({ kind: 'refuse', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(producers.check('t', 0, batch(0, 1, 2))).toEqual({ kind: 'append' });
    expect(producers.check('t', 0, batch(5, 1, 2))).toMatchObject({ kind: 'refuse', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
  });

  it('should let a non-idempotent batch (producer id -1) through unchecked', () => {
    expect(new IdempotentProducers().check('t', 0, batch(-1, 1, -1, -1))).toEqual({ kind: 'append' });
  });
});
