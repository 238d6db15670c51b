import type { ApiDefinition, BrokerState } from '../api';
import { ApiKey, ErrorCode } from '../protocol';
import { WireWriter } from '../wire';

interface PartitionFetch {
  topic: string;
  partition: number;
  offset: number;
  maxBytes: number;
}

/**
 * Fetch v4 => replica_id max_wait_ms min_bytes max_bytes isolation_level
 *   [topics: name [partitions: index fetch_offset partition_max_bytes]]
 * Response => throttle_time_ms [topics: name [partitions: index error_code high_watermark
 *   last_stable_offset [aborted_transactions] records]]
 * A long poll: the answer waits until `min_bytes` are there or `max_wait_ms` passed. Batches are
 * returned whole, as stored; the client skips records before its fetch offset.
 */
export const fetch: ApiDefinition = {
  key: ApiKey.Fetch,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 4,
  async handle(request, { broker, closed }) {
    request.int32(); // replica_id: always a consumer here
    const maxWaitMs = request.int32();
    const minBytes = request.int32();
    const maxBytes = request.int32();
    request.int8(); // isolation_level: no transactions, so committed and uncommitted reads are the same
    const wanted = request.array((reader) => {
      const topic = reader.string();
      return { topic, partitions: reader.array((partition): PartitionFetch => ({ topic, partition: partition.int32(), offset: partition.int64(), maxBytes: partition.int32() })) };
    });
    const partitions = wanted.flatMap((topic) => topic.partitions);

    const ready = () => {
      let available = 0;
      for (const fetch of partitions) {
        const log = broker.topics.partition(fetch.topic, fetch.partition);
        if (!log || fetch.offset < log.startOffset || fetch.offset > log.endOffset) return true; // errors answer at once
        available += log.bytesFrom(fetch.offset);
      }
      return available >= minBytes;
    };
    if (maxWaitMs > 0 && !ready()) await waitForData(broker, ready, maxWaitMs, closed);
    return fetchResponse(broker, wanted, maxBytes);
  },
};

function waitForData(broker: BrokerState, ready: () => boolean, maxWaitMs: number, closed: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      closed.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, maxWaitMs);
    const unsubscribe = broker.topics.onAppend(() => {
      if (ready()) done();
    });
    closed.addEventListener('abort', done);
    if (closed.aborted) done();
  });
}

function fetchResponse(broker: BrokerState, wanted: Array<{ topic: string; partitions: PartitionFetch[] }>, maxBytes: number): WireWriter {
  let remaining = maxBytes;
  let returnedAny = false;
  const writer = new WireWriter().int32(0);
  return writer.array(wanted, (topicWriter, topic) =>
    topicWriter.string(topic.topic).array(topic.partitions, (partitionWriter, fetch) => {
      const log = broker.topics.partition(fetch.topic, fetch.partition);
      if (!log) return void partitionWriter.int32(fetch.partition).int16(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).int64(-1).int64(-1).int32(0).int32(0);
      if (fetch.offset < log.startOffset || fetch.offset > log.endOffset) {
        return void partitionWriter.int32(fetch.partition).int16(ErrorCode.OFFSET_OUT_OF_RANGE).int64(log.endOffset).int64(log.endOffset).int32(0).int32(0);
      }
      const batches = log.read(fetch.offset, Math.min(fetch.maxBytes, Math.max(remaining, 0)), !returnedAny);
      const size = batches.reduce((sum, batch) => sum + batch.length, 0);
      remaining -= size;
      returnedAny ||= size > 0;
      partitionWriter.int32(fetch.partition).int16(ErrorCode.NONE).int64(log.endOffset).int64(log.endOffset).int32(0).int32(size);
      for (const batch of batches) partitionWriter.raw(batch);
    }),
  );
}
