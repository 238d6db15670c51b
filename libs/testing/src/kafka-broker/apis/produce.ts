import { CLOSE_CONNECTION, NO_RESPONSE } from '../api';
import type { ApiDefinition, BrokerState } from '../api';
import { ApiKey, ErrorCode } from '../protocol';
import { InvalidRecordBatchError, readRecordBatches } from '../record-batch';
import type { RecordBatch } from '../record-batch';
import { isLegalTopicName } from '../topic-store';
import { WireWriter } from '../wire';

interface PartitionResult {
  partition: number;
  errorCode: number;
  baseOffset: number;
}

/**
 * Produce v3 => transactional_id acks timeout_ms [topics: name [partitions: index records]]
 * Response => [topics: name [partitions: index error_code base_offset log_append_time_ms]] throttle_time_ms
 * One replica, so acks=1 and acks=-1 both mean "appended".
 */
export const produce: ApiDefinition = {
  key: ApiKey.Produce,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 3,
  handle(request, { broker }) {
    request.nullableString(); // transactional_id: transactions are not supported, their batches are refused below
    const acks = request.int16();
    request.int32(); // timeout: appending is immediate
    const topics = request.array((reader) => ({
      name: reader.string(),
      partitions: reader.array((partition) => ({ index: partition.int32(), records: partition.bytes() })),
    }));

    let appended = false;
    const results = topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition): PartitionResult => {
        if (acks !== 0 && acks !== 1 && acks !== -1) return { partition: partition.index, errorCode: ErrorCode.INVALID_REQUIRED_ACKS, baseOffset: -1 };
        const result = appendToPartition(broker, topic.name, partition.index, partition.records);
        appended ||= result.appended;
        return { partition: partition.index, errorCode: result.errorCode, baseOffset: result.baseOffset };
      }),
    }));
    if (appended) broker.topics.notifyAppend();

    if (acks === 0) return NO_RESPONSE;
    if (appended && broker.faults.produceAcksToLose > 0) {
      broker.faults.produceAcksToLose -= 1;
      broker.log('fault injection: appended a Produce request, then closed the connection instead of acknowledging it');
      return CLOSE_CONNECTION;
    }
    return new WireWriter()
      .array(results, (writer, topic) =>
        writer.string(topic.name).array(topic.partitions, (partitionWriter, result) => partitionWriter.int32(result.partition).int16(result.errorCode).int64(result.baseOffset).int64(-1)),
      )
      .int32(0);
  },
};

function appendToPartition(broker: BrokerState, topicName: string, partitionIndex: number, records: Buffer): { errorCode: number; baseOffset: number; appended: boolean } {
  const refuse = (errorCode: number) => ({ errorCode, baseOffset: -1, appended: false });
  if (!isLegalTopicName(topicName)) return refuse(ErrorCode.INVALID_TOPIC_EXCEPTION);
  const log = broker.topics.getOrAutoCreate(topicName)?.partitions[partitionIndex];
  if (!log) return refuse(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  let batches: RecordBatch[];
  try {
    batches = readRecordBatches(records);
  } catch (error) {
    if (!(error instanceof InvalidRecordBatchError)) throw error;
    broker.log(`Produce to ${topicName}/${partitionIndex} refused: ${error.message}`);
    return refuse(error.errorCode);
  }
  // Since v3 a partition's records are exactly one batch, which is what sequence checks rely on.
  if (batches.length !== 1) {
    broker.log(`Produce to ${topicName}/${partitionIndex} refused: ${batches.length} record batches, expected exactly one`);
    return refuse(ErrorCode.INVALID_RECORD);
  }
  const batch = batches[0];
  const verdict = broker.producers.check(topicName, partitionIndex, batch);
  if (verdict.kind === 'refuse') return refuse(verdict.errorCode);
  if (verdict.kind === 'duplicate') return { errorCode: ErrorCode.NONE, baseOffset: verdict.baseOffset, appended: false };
  const baseOffset = log.append(batch);
  broker.producers.appended(topicName, partitionIndex, batch, baseOffset);
  return { errorCode: ErrorCode.NONE, baseOffset, appended: true };
}
