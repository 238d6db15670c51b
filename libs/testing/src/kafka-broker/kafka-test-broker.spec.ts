// The broker against the real kafkajs 2.2.4 client: producers, consumer groups, offsets, restarts.
import { CompressionTypes, Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Consumer, ConsumerConfig, Producer, ProducerConfig } from 'kafkajs';

import { expectEventually } from '../eventually';
import { KafkaTestBroker } from './kafka-test-broker';

interface Received {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

/** Starts, subscribes and runs a consumer that records what it receives and what it is assigned. */
async function startConsumer(kafka: Kafka, topic: string, config: Partial<ConsumerConfig> & { groupId: string }) {
  const consumer = kafka.consumer({ maxWaitTimeInMs: 100, heartbeatInterval: 100, sessionTimeout: 10_000, rebalanceTimeout: 5_000, ...config });
  const received: Received[] = [];
  let assigned: number[] = [];
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    assigned = [...(event.payload.memberAssignment[topic] ?? [])].sort();
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      received.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
    },
  });
  return { consumer, received, assigned: () => assigned };
}

describe('KafkaTestBroker with kafkajs', () => {
  let broker: KafkaTestBroker;
  let kafka: Kafka;
  let logs: string[];
  let clientErrors: string[];
  const clients: Array<Producer | Consumer> = [];

  beforeEach(async () => {
    logs = [];
    clientErrors = [];
    broker = await KafkaTestBroker.start({ partitions: 3, log: (message) => logs.push(message) });
    kafka = new Kafka({
      clientId: 'broker-spec',
      brokers: broker.brokers,
      // kafkajs's errors are kept, not printed: the restart test waits for a refused connection.
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => void clientErrors.push(entry.log.message),
      connectionTimeout: 1_000,
      retry: { initialRetryTime: 50, maxRetryTime: 300, retries: 50 },
    });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.disconnect()));
    await broker.stop();
  });

  async function producer(config: ProducerConfig = {}): Promise<Producer> {
    const created = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
    clients.push(created);
    await created.connect();
    return created;
  }

  async function consumer(topic: string, config: Partial<ConsumerConfig> & { groupId: string }) {
    const started = await startConsumer(kafka, topic, config);
    clients.push(started.consumer);
    return started;
  }

  it('should keep the order of each key within its partition (200 messages, 10 keys)', async () => {
    const sender = await producer();
    for (let batch = 0; batch < 10; batch++) {
      const messages = Array.from({ length: 20 }, (_, i) => batch * 20 + i).map((n) => ({ key: `key-${n % 10}`, value: String(n) }));
      await sender.send({ topic: 'ordering', messages });
    }
    const { received } = await consumer('ordering', { groupId: 'ordering-readers' });
    await expectEventually(() => expect(received).toHaveLength(200));

    const stored = broker.topicMessages('ordering');
    expect(stored).toHaveLength(200);
    for (let k = 0; k < 10; k++) {
      const key = `key-${k}`;
      const expected = Array.from({ length: 20 }, (_, i) => String(i * 10 + k));
      const ofKey = received.filter((message) => message.key === key);
      expect(new Set(ofKey.map((message) => message.partition)).size).toBe(1);
      expect(ofKey.map((message) => message.value)).toEqual(expected);
      expect(stored.filter((message) => message.key?.toString() === key).map((message) => message.value?.toString())).toEqual(expected);
    }
    expect(new Set(stored.map((message) => message.partition)).size).toBeGreaterThan(1);
  });

  it('should split partitions between two consumers of a group and give all to one when the other leaves', async () => {
    const sender = await producer();
    await sender.send({ topic: 'shared', messages: [{ key: 'warm-up', value: 'warm-up' }] });
    const first = await consumer('shared', { groupId: 'sharing' });
    await expectEventually(() => expect(first.assigned()).toEqual([0, 1, 2]));

    const second = await consumer('shared', { groupId: 'sharing' });
    await expectEventually(() => {
      expect(first.assigned().length).toBeGreaterThan(0);
      expect(second.assigned().length).toBeGreaterThan(0);
      expect([...first.assigned(), ...second.assigned()].sort()).toEqual([0, 1, 2]);
    });
    expect(broker.describeGroup('sharing')).toMatchObject({ state: 'Stable', memberIds: expect.any(Array) });
    expect(broker.describeGroup('sharing')?.memberIds).toHaveLength(2);

    const values = (prefix: string) => Array.from({ length: 30 }, (_, i) => `${prefix}-${i}`);
    await sender.send({ topic: 'shared', messages: values('split').map((value, i) => ({ key: `key-${i}`, value })) });
    const distinct = (list: Received[], prefix: string) => new Set(list.map((message) => message.value).filter((value) => value.startsWith(prefix)));
    await expectEventually(() => expect(new Set([...distinct(first.received, 'split'), ...distinct(second.received, 'split')])).toEqual(new Set(values('split'))));
    for (const member of [first, second]) {
      expect(member.received.filter((message) => message.value.startsWith('split')).every((message) => member.assigned().includes(message.partition))).toBe(true);
    }

    await second.consumer.disconnect(); // LeaveGroup: the first consumer re-joins on its next heartbeat
    await expectEventually(() => expect(first.assigned()).toEqual([0, 1, 2]));
    await sender.send({ topic: 'shared', messages: values('after').map((value, i) => ({ key: `key-${i}`, value })) });
    await expectEventually(() => expect(distinct(first.received, 'after')).toEqual(new Set(values('after'))));
    expect(broker.describeGroup('sharing')?.memberIds).toHaveLength(1);
  });

  it('should resume a restarted consumer after its last committed message, without re-delivering committed ones', async () => {
    const sender = await producer();
    const first = Array.from({ length: 12 }, (_, i) => ({ key: `key-${i}`, value: `first-${i}` }));
    await sender.send({ topic: 'resumable', messages: first });
    const before = await startConsumer(kafka, 'resumable', { groupId: 'resumers' });
    await expectEventually(() => expect(before.received).toHaveLength(12));
    await before.consumer.disconnect(); // commits what it processed, then leaves

    const admin = kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: 'resumers', topics: ['resumable'] });
    await admin.disconnect();
    const committedTotal = committed[0].partitions.reduce((sum, partition) => sum + Number(partition.offset), 0);
    expect(committedTotal).toBe(12);

    const second = Array.from({ length: 6 }, (_, i) => ({ key: `key-${i}`, value: `second-${i}` }));
    await sender.send({ topic: 'resumable', messages: second });
    const after = await consumer('resumable', { groupId: 'resumers' });
    await expectEventually(() => expect(after.received).toHaveLength(6));
    // Each partition is read in order from the committed offset, so a re-delivered first-* message
    // would have arrived before the second-* ones that are already here.
    expect(after.received.map((message) => message.value).sort()).toEqual(second.map((message) => message.value).sort());
  });

  it('should store one copy when an idempotent producer retries a batch whose acknowledgement was lost', async () => {
    const sender = await producer({ idempotent: true, maxInFlightRequests: 1 });
    broker.loseNextProduceAcks();
    await sender.send({ topic: 'payments', messages: [{ key: 'tenant-1', value: 'charge-1' }] });
    expect(logs.some((line) => line.includes('closed the connection instead of acknowledging'))).toBe(true);
    await sender.send({ topic: 'payments', messages: [{ key: 'tenant-1', value: 'charge-2' }] });

    const stored = broker.topicMessages('payments');
    expect(stored.map((message) => message.value?.toString())).toEqual(['charge-1', 'charge-2']);
    expect(stored.map((message) => message.offset)).toEqual([0, 1]);
  });

  it('should store two copies when a producer without idempotence retries the same way (the fault is real)', async () => {
    const sender = await producer();
    broker.loseNextProduceAcks();
    await sender.send({ topic: 'payments', messages: [{ key: 'tenant-1', value: 'charge-1' }] });
    expect(broker.topicMessages('payments').map((message) => message.value?.toString())).toEqual(['charge-1', 'charge-1']);
  });

  it('should give a consumer in a fresh group every earlier message of a compacted topic when it reads from the beginning', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const created = await admin.createTopics({ topics: [{ topic: 'policies', numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    expect(created).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'policies', numPartitions: 2 }] })).toBe(false); // already exists
    const metadata = await admin.fetchTopicMetadata({ topics: ['policies'] });
    await admin.disconnect();
    expect(metadata.topics[0].partitions).toHaveLength(2);

    const sender = await producer();
    const versions = [1, 2, 3].flatMap((version) => ['policy-a', 'policy-b', 'policy-c', 'policy-d'].map((key) => ({ key, value: `${key}@v${version}` })));
    for (const message of versions) await sender.send({ topic: 'policies', messages: [message] });

    const reader = await consumer('policies', { groupId: 'gateway-snapshot-fresh' });
    await expectEventually(() => expect(reader.received).toHaveLength(versions.length));
    const latest = new Map(reader.received.map((message) => [message.key, message.value]));
    expect(Object.fromEntries(latest)).toEqual({ 'policy-a': 'policy-a@v3', 'policy-b': 'policy-b@v3', 'policy-c': 'policy-c@v3', 'policy-d': 'policy-d@v3' });
    expect(reader.received.map((message) => message.value).sort()).toEqual(versions.map((message) => message.value).sort());
  });

  it('should let a producer and a consumer continue after the broker restarts on the same port', async () => {
    const sender = await producer({ idempotent: true });
    const reader = await consumer('restarts', { groupId: 'restart-readers' });
    await sender.send({ topic: 'restarts', messages: [{ key: 'k', value: 'before' }] });
    await expectEventually(() => expect(reader.received.map((message) => message.value)).toEqual(['before']));
    const port = broker.port;

    await broker.stop();
    expect(broker.listening).toBe(false);
    const sentDuringOutage = sender.send({ topic: 'restarts', messages: [{ key: 'k', value: 'during' }] });
    await expectEventually(() => expect(clientErrors.join('\n')).toContain(`ECONNREFUSED 127.0.0.1:${port}`));
    await broker.restart();
    expect(broker.port).toBe(port);
    await sentDuringOutage;
    await sender.send({ topic: 'restarts', messages: [{ key: 'k', value: 'after' }] });

    await expectEventually(() => expect(reader.received.map((message) => message.value)).toEqual(['before', 'during', 'after']));
    expect(broker.topicMessages('restarts').map((message) => message.value?.toString())).toEqual(['before', 'during', 'after']);
    expect(broker.describeGroup('restart-readers')).toMatchObject({ state: 'Stable', memberIds: [expect.any(String)] });
  });

  it('should append without answering when the producer asks for no acknowledgement (acks=0)', async () => {
    const sender = await producer();
    await sender.send({ topic: 'fire-and-forget', acks: 0, messages: [{ value: 'unacknowledged' }] });
    await expectEventually(() => expect(broker.topicMessages('fire-and-forget').map((message) => message.value?.toString())).toEqual(['unacknowledged']));
  });

  it('should store a gzip batch as sent, serve it to consumers and decode it for assertions', async () => {
    const sender = await producer();
    const messages = Array.from({ length: 5 }, (_, i) => ({ key: 'same-key', value: `zipped-${i}`, headers: { 'x-tenant': 'acme' } }));
    await sender.send({ topic: 'zipped', compression: CompressionTypes.GZIP, messages });
    const stored = broker.topicMessages('zipped');
    expect(stored.map((message) => message.value?.toString())).toEqual(messages.map((message) => message.value));
    expect(stored[0].headers).toEqual([{ key: 'x-tenant', value: Buffer.from('acme') }]);
    const reader = await consumer('zipped', { groupId: 'unzippers' });
    await expectEventually(() => expect(reader.received.map((message) => message.value)).toEqual(messages.map((message) => message.value)));
  });

  it('should list the earliest, latest and by-timestamp offsets of a partition', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'timeline', numPartitions: 1 }] });
    const sender = await producer();
    for (const timestamp of ['1000', '2000', '3000']) await sender.send({ topic: 'timeline', messages: [{ value: timestamp, timestamp }] });
    expect(await admin.fetchTopicOffsets('timeline')).toEqual([{ partition: 0, offset: '3', high: '3', low: '0' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp('timeline', 1500)).toEqual([{ partition: 0, offset: '1' }]);
    await admin.disconnect();
  });

  it('should refuse an API it does not advertise without hanging the client', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await expect(admin.describeGroups(['anything'])).rejects.toThrow(/does not support/);
    await admin.disconnect();
  });
});
