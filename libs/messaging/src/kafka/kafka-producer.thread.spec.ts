import { threadId } from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import { KafkaTestBroker } from '@tollgate/testing';
import type { OutgoingMessage } from '../event-publisher';
import { KafkaProducerThread } from './kafka-producer.thread';

// The producer thread for real: a worker thread running kafkajs against the project's
// Kafka-protocol test broker (started from the TypeScript source through tsx, as in every test).

const TOPIC = 'producer-thread';

function message(key: string, value: string): OutgoingMessage {
  return { topic: TOPIC, key, value, headers: { 'tollgate-event-type': 'test.event', traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` } };
}

describe('KafkaProducerThread', () => {
  let broker: KafkaTestBroker;

  beforeAll(async () => {
    broker = await KafkaTestBroker.start({ partitions: 1 });
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('sends each batch from its own thread as one acknowledged Produce, with keys, values and headers', async () => {
    const producer = new KafkaProducerThread({ kind: 'kafka', brokers: broker.brokers, clientId: 'thread-spec' });
    try {
      await producer.connect();
      await producer.send([message('t_1', '{"n":1}'), message('t_2', '{"n":2}'), message('t_1', '{"n":3}')]);

      const stored = broker.topicMessages(TOPIC);
      expect(stored.map((m) => [m.key?.toString(), m.value?.toString()])).toEqual([
        ['t_1', '{"n":1}'],
        ['t_2', '{"n":2}'],
        ['t_1', '{"n":3}'],
      ]);
      // One batch: the three records share the batch's timestamp and consecutive offsets.
      expect(new Set(stored.map((m) => m.timestamp)).size).toBe(1);
      expect(stored[0].headers.map((h) => [h.key, h.value?.toString()])).toEqual([
        ['tollgate-event-type', 'test.event'],
        ['traceparent', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`],
      ]);
      // Not this thread's doing: the producer lives in a worker.
      expect(threadId).toBe(0);
    } finally {
      await producer.close();
    }
  });

  it("rejects a batch kafkajs refuses with kafkajs' own error, and keeps working", async () => {
    const producer = new KafkaProducerThread({ kind: 'kafka', brokers: broker.brokers, clientId: 'thread-spec' });
    try {
      await expect(producer.send([{ ...message('t_1', 'x'), topic: '' }])).rejects.toMatchObject({ name: 'KafkaJSNonRetriableError', message: expect.stringContaining('topic') });
      const before = broker.topicMessages(TOPIC).length;
      await producer.send([message('t_3', 'after the refusal')]);
      expect(broker.topicMessages(TOPIC).slice(before).map((m) => m.value?.toString())).toEqual(['after the refusal']);
    } finally {
      await producer.close();
    }
  });

  it('starts a new thread for a call after close()', async () => {
    const producer = new KafkaProducerThread({ kind: 'kafka', brokers: broker.brokers, clientId: 'thread-spec' });
    await producer.send([message('t_4', 'first thread')]);
    await producer.close();
    await producer.send([message('t_4', 'second thread')]);
    await producer.close();
    expect(
      broker
        .topicMessages(TOPIC)
        .filter((m) => m.key?.toString() === 't_4')
        .map((m) => m.value?.toString()),
    ).toEqual(['first thread', 'second thread']);
  });

  it('fails the calls of a thread that died, and serves the next call from a new one', async () => {
    const producer = new KafkaProducerThread({ kind: 'kafka', brokers: broker.brokers, clientId: 'thread-spec' });
    try {
      await producer.connect();
      const sending = producer.send([message('t_5', 'lost with its thread')]);
      // White-box: the thread is private; ending it stands in for a crash.
      await (producer as unknown as { worker: Worker }).worker.terminate();
      await expect(sending).rejects.toThrow(/producer thread exited/);
      await producer.send([message('t_5', 'after the crash')]);
      expect(broker.topicMessages(TOPIC).filter((m) => m.key?.toString() === 't_5').map((m) => m.value?.toString())).toContain('after the crash');
    } finally {
      await producer.close();
    }
  });
});
