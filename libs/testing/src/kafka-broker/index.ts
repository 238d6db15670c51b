/**
 * KafkaTestBroker: a TEST TOOL. A single-node broker speaking the Kafka wire protocol, in memory,
 * so that tests exercise the real kafkajs client, real consumer groups and real offsets on
 * machines where no Kafka can be installed (the idea of Sarama's MockBroker). Production and the
 * Helm chart use a real Kafka cluster; nothing outside tests may depend on this.
 *
 *   const broker = await KafkaTestBroker.start({ partitions: 3 });
 *   const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
 *   ...
 *   broker.topicMessages('tollgate.llm.call.v1');    // what was stored, for assertions
 *   await broker.stop(); await broker.restart();     // down and back on the same port, data kept
 *   broker.loseNextProduceAcks();                    // append, then drop the connection unanswered
 *   await broker.stop();                             // teardown
 *
 * Implemented, and advertised in ApiVersions as exactly these versions (all non-flexible), so
 * kafkajs 2.2.4 negotiates down to them: Produce v3, Fetch v4, ListOffsets v2, Metadata v4,
 * OffsetCommit v3, OffsetFetch v3, FindCoordinator v1, JoinGroup v3, Heartbeat v1, LeaveGroup v1,
 * SyncGroup v1, ApiVersions v0-2, CreateTopics v2, InitProducerId v0-1 (apis/index.ts).
 * Anything else is logged and the connection closed (an unknown ApiVersions version is answered
 * UNSUPPORTED_VERSION); kafkajs itself refuses unadvertised APIs with "does not support".
 *
 * Behaviour: topics auto-created on first use with `partitions` partitions (default 3); record
 * batches (magic 2) stored as sent, CRC-32C checked, served back whole; idempotent producers'
 * sequences checked per partition (a retried batch is acknowledged, not appended again; a gap is
 * OUT_OF_ORDER_SEQUENCE_NUMBER); Fetch long-polls on max wait and min bytes; consumer groups
 * rebalance on join, leave and session expiry, with generations.
 *
 * Not implemented: transactions, compaction and retention (every record is kept), more than one
 * node, SASL/TLS, flexible protocol versions, snappy/lz4 decoding in topicMessages() (such
 * batches are still stored and served).
 */
export { KafkaTestBroker } from './kafka-test-broker';
export type { BrokerMessage, KafkaTestBrokerOptions } from './kafka-test-broker';
export type { GroupDescription, GroupState } from './group-coordinator';
