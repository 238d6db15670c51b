// Committed offsets of consumer groups. They live as long as the broker object, across restarts.
import type { ApiDefinition } from '../api';
import { ApiKey, ErrorCode } from '../protocol';
import { WireWriter } from '../wire';

/**
 * OffsetCommit v3 => group_id generation_id member_id retention_time_ms
 *   [topics: name [partitions: index committed_offset metadata]]
 * Response => throttle_time_ms [topics: name [partitions: index error_code]]
 * generation_id -1 commits outside the group protocol, allowed while the group is empty.
 */
export const offsetCommit: ApiDefinition = {
  key: ApiKey.OffsetCommit,
  name: 'OffsetCommit',
  minVersion: 3,
  maxVersion: 3,
  handle(request, { broker }) {
    const groupId = request.string();
    const generationId = request.int32();
    const memberId = request.string();
    request.int64(); // retention: offsets are kept for the broker's lifetime
    const topics = request.array((reader) => ({
      name: reader.string(),
      partitions: reader.array((partition) => ({ index: partition.int32(), offset: partition.int64(), metadata: partition.nullableString() })),
    }));
    const entries = topics.flatMap((topic) => topic.partitions.map((partition) => ({ topic: topic.name, partition: partition.index, offset: partition.offset, metadata: partition.metadata })));
    const errorCode = broker.groups.commitOffsets(groupId, generationId, memberId, entries);
    return new WireWriter()
      .int32(0)
      .array(topics, (writer, topic) => writer.string(topic.name).array(topic.partitions, (partitionWriter, partition) => partitionWriter.int32(partition.index).int16(errorCode)));
  },
};

/**
 * OffsetFetch v3 => group_id [topics: name [partition_indexes]] (null topics: all committed)
 * Response => throttle_time_ms [topics: name [partitions: index committed_offset metadata error_code]] error_code
 * A partition without a commit answers offset -1.
 */
export const offsetFetch: ApiDefinition = {
  key: ApiKey.OffsetFetch,
  name: 'OffsetFetch',
  minVersion: 3,
  maxVersion: 3,
  handle(request, { broker }) {
    const groupId = request.string();
    const topics = request.nullableArray((reader) => {
      const topic = reader.string();
      return reader.array((partition) => ({ topic, partition: partition.int32() }));
    });
    const offsets = broker.groups.fetchOffsets(groupId, topics?.flat() ?? null);
    const byTopic = new Map<string, typeof offsets>();
    for (const offset of offsets) byTopic.set(offset.topic, [...(byTopic.get(offset.topic) ?? []), offset]);
    return new WireWriter()
      .int32(0)
      .array([...byTopic], (writer, [topic, partitions]) =>
        writer.string(topic).array(partitions, (partitionWriter, each) => partitionWriter.int32(each.partition).int64(each.offset).nullableString(each.metadata).int16(ErrorCode.NONE)),
      )
      .int16(ErrorCode.NONE);
  },
};
