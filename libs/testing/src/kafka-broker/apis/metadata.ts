import type { ApiDefinition } from '../api';
import { ApiKey, ErrorCode, NODE_ID } from '../protocol';
import { isLegalTopicName } from '../topic-store';
import type { Topic } from '../topic-store';
import { WireWriter } from '../wire';

export const CLUSTER_ID = 'tollgate-test-broker';

/**
 * Metadata v4 => [topics] (null: all) allow_auto_topic_creation
 * Response => throttle_time_ms [brokers: node_id host port rack] cluster_id controller_id
 *   [topics: error_code name is_internal [partitions: error_code partition leader [replicas] [isr]]]
 */
export const metadata: ApiDefinition = {
  key: ApiKey.Metadata,
  name: 'Metadata',
  minVersion: 4,
  maxVersion: 4,
  handle(request, { broker }) {
    const names = request.nullableArray((reader) => reader.string());
    const allowAutoCreation = request.boolean();
    const answers: Array<{ name: string; errorCode: number; topic?: Topic }> = (names ?? broker.topics.all().map((topic) => topic.name)).map((name) => {
      if (!isLegalTopicName(name)) return { name, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION };
      const topic = broker.topics.getOrAutoCreate(name, allowAutoCreation);
      return topic ? { name, errorCode: ErrorCode.NONE, topic } : { name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    });
    return new WireWriter()
      .int32(0)
      .array([NODE_ID], (writer, nodeId) => writer.int32(nodeId).string(broker.host).int32(broker.port).nullableString(null))
      .nullableString(CLUSTER_ID)
      .int32(NODE_ID)
      .array(answers, (writer, answer) =>
        writer
          .int16(answer.errorCode)
          .string(answer.name)
          .boolean(false)
          .array(answer.topic?.partitions ?? [], (partitionWriter, _log, index) =>
            partitionWriter.int16(ErrorCode.NONE).int32(index).int32(NODE_ID).array([NODE_ID], (w, id) => w.int32(id)).array([NODE_ID], (w, id) => w.int32(id)),
          ),
      );
  },
};
