import type { ApiDefinition } from '../api';
import type { PartitionLog } from '../topic-store';
import { ApiKey, EARLIEST_TIMESTAMP, ErrorCode, LATEST_TIMESTAMP } from '../protocol';
import { decodeRecords } from '../record-batch';
import { WireWriter } from '../wire';

/**
 * ListOffsets v2 => replica_id isolation_level [topics: name [partitions: index timestamp]]
 * Response => throttle_time_ms [topics: name [partitions: index error_code timestamp offset]]
 * timestamp -1 asks for the end of the log, -2 for its start, anything else for the first record
 * at or after that time (offset -1 when there is none).
 */
export const listOffsets: ApiDefinition = {
  key: ApiKey.ListOffsets,
  name: 'ListOffsets',
  minVersion: 2,
  maxVersion: 2,
  handle(request, { broker }) {
    request.int32(); // replica_id
    request.int8(); // isolation_level
    const topics = request.array((reader) => ({
      name: reader.string(),
      partitions: reader.array((partition) => ({ index: partition.int32(), timestamp: partition.int64() })),
    }));
    return new WireWriter().int32(0).array(topics, (writer, topic) =>
      writer.string(topic.name).array(topic.partitions, (partitionWriter, { index, timestamp }) => {
        const log = broker.topics.partition(topic.name, index);
        if (!log) return void partitionWriter.int32(index).int16(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).int64(-1).int64(-1);
        const found = offsetFor(log, timestamp);
        partitionWriter.int32(index).int16(ErrorCode.NONE).int64(found.timestamp).int64(found.offset);
      }),
    );
  },
};

function offsetFor(log: PartitionLog, timestamp: number): { timestamp: number; offset: number } {
  if (timestamp === LATEST_TIMESTAMP) return { timestamp: -1, offset: log.endOffset };
  if (timestamp === EARLIEST_TIMESTAMP) return { timestamp: -1, offset: log.startOffset };
  const batch = log.firstBatchAtOrAfter(timestamp);
  const record = batch && decodeRecords(batch.bytes).find((each) => each.timestamp >= timestamp);
  return record ? { timestamp: record.timestamp, offset: record.offset } : { timestamp: -1, offset: -1 };
}
