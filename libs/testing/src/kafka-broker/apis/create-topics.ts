import type { ApiDefinition } from '../api';
import { ApiKey, ErrorCode } from '../protocol';
import { isLegalTopicName } from '../topic-store';
import { WireWriter } from '../wire';

/**
 * CreateTopics v2 => [topics: name num_partitions replication_factor [assignments: partition [replicas]]
 *   [configs: name value]] timeout_ms validate_only
 * Response => throttle_time_ms [topics: name error_code error_message]
 */
export const createTopics: ApiDefinition = {
  key: ApiKey.CreateTopics,
  name: 'CreateTopics',
  minVersion: 2,
  maxVersion: 2,
  handle(request, { broker }) {
    const topics = request.array((reader) => ({
      name: reader.string(),
      partitions: reader.int32(),
      replicationFactor: reader.int16(),
      assignments: reader.array((assignment) => ({ partition: assignment.int32(), replicas: assignment.array((replica) => replica.int32()) })),
      configs: reader.array((config) => [config.string(), config.nullableString()] as const),
    }));
    request.int32(); // timeout: creation is immediate here
    const validateOnly = request.boolean();

    const results = topics.map((topic) => {
      const fail = (errorCode: number, message: string) => ({ name: topic.name, errorCode, message });
      if (!isLegalTopicName(topic.name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `'${topic.name}' is not a legal topic name`);
      if (broker.topics.get(topic.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${topic.name}' already exists`);
      if (topic.replicationFactor > 1) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${topic.replicationFactor} is larger than the test broker's one node`);
      const partitions = topic.assignments.length > 0 ? topic.assignments.length : topic.partitions === -1 ? broker.topics.defaultPartitions : topic.partitions;
      if (partitions < 1) return fail(ErrorCode.INVALID_PARTITIONS, `number of partitions must be at least 1, got ${topic.partitions}`);
      if (!validateOnly) broker.topics.create(topic.name, partitions, new Map(topic.configs));
      return { name: topic.name, errorCode: ErrorCode.NONE, message: null };
    });
    return new WireWriter().int32(0).array(results, (writer, result) => writer.string(result.name).int16(result.errorCode).nullableString(result.message));
  },
};
