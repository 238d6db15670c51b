import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { LlmCallV1, TOPICS } from '@tollgate/contracts';
import { KafkaTestBroker, llmCallEvent } from '@tollgate/testing';
import { KafkaEventPublisher } from './kafka.publisher';
import { KafkaProducerThread, producerThreadEntry } from './kafka-producer.thread';

const transport = (brokers: string[]) => ({ kind: 'kafka' as const, brokers, clientId: 'tollgate-thread-spec', lingerMs: 5 });

describe('KafkaEventPublisher with its producer in a worker thread (the default)', () => {
  let broker: KafkaTestBroker;

  beforeAll(async () => {
    broker = await KafkaTestBroker.start({ log: () => undefined });
  });
  afterAll(async () => broker.stop());
  afterEach(() => jest.restoreAllMocks());

  it('delivers the events to the broker, with key, headers and value, and no Kafka client in the calling thread', async () => {
    const inThisThread = jest.spyOn(ClientKafka.prototype, 'connect');
    const publisher = new KafkaEventPublisher(transport(broker.brokers));
    await publisher.connect();
    const events = ['t_a', 't_b', 't_c'].map((tenantId) => llmCallEvent({ tenantId }));

    await Promise.all(events.map((event) => publisher.publish(LlmCallV1, event)));

    const stored = broker.topicMessages(TOPICS.llmCall).filter((m) => events.some((e) => e.id === JSON.parse(String(m.value)).id));
    expect(stored.map((m) => String(m.key)).sort()).toEqual(['t_a', 't_b', 't_c']);
    for (const message of stored) {
      const event = events.find((e) => e.tenantId === String(message.key));
      expect(JSON.parse(String(message.value))).toEqual(event);
      expect(Object.fromEntries(message.headers.map((h) => [h.key, String(h.value)]))).toMatchObject({ 'tollgate-event-type': 'llm.call', 'tollgate-event-version': '1' });
    }
    expect(inThisThread).not.toHaveBeenCalled();
    await publisher.close();
  });

  it('keeps the producer in the calling thread when told to (producerThread: main)', async () => {
    const inThisThread = jest.spyOn(ClientKafka.prototype, 'connect');
    const publisher = new KafkaEventPublisher({ ...transport(broker.brokers), producerThread: 'main' });
    const event = llmCallEvent({ tenantId: 't_main' });

    await publisher.publish(LlmCallV1, event);

    expect(broker.topicMessages(TOPICS.llmCall).some((m) => JSON.parse(String(m.value)).id === event.id)).toBe(true);
    expect(inThisThread).toHaveBeenCalled();
    await publisher.close();
  });
});

describe('KafkaProducerThread', () => {
  // A stand-in thread speaking the same protocol, to make it fail on cue: a batch whose first key
  // is `fail` is refused, `exit` ends the thread, `log` logs through the main thread's logger.
  let dir: string;
  let entry: { filename: string; execArgv: string[] };
  const batch = (key: string) => [{ topic: TOPICS.llmCall, messages: [{ key, value: '{}', headers: {} }] }];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'producer-thread-'));
    entry = { filename: join(dir, 'stand-in.js'), execArgv: [] };
    writeFileSync(
      entry.filename,
      `const { parentPort, workerData } = require('node:worker_threads');
       parentPort.on('message', (request) => {
         const key = request.op === 'send' ? request.batches[0].messages[0].key : request.op;
         if (key === 'exit') process.exit(3);
         if (key === 'fail') return parentPort.postMessage({ kind: 'failed', id: request.id, error: { name: 'KafkaJSNumberOfRetriesExceeded', message: 'broker gone' } });
         if (key === 'log') parentPort.postMessage({ kind: 'log', level: 'warn', context: 'Producer', message: 'levels ' + workerData.logLevels.join(',') });
         parentPort.postMessage({ kind: 'done', id: request.id });
       });`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => jest.restoreAllMocks());

  it('rejects a refused batch with the thread’s error and goes on with the same thread', async () => {
    const thread = new KafkaProducerThread(transport(['127.0.0.1:1']), entry);
    await thread.sendBatch(batch('ok'));
    const first = thread.threadId;

    await expect(thread.sendBatch(batch('fail'))).rejects.toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded', message: 'broker gone' });
    await thread.sendBatch(batch('ok'));

    expect(thread.threadId).toBe(first);
    await thread.close();
    expect(thread.threadId).toBeUndefined();
  });

  it('rejects what a thread held when it dies, and starts a new one for the next batch', async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const thread = new KafkaProducerThread(transport(['127.0.0.1:1']), entry);
    await thread.connect();
    const first = thread.threadId;

    await expect(thread.sendBatch(batch('exit'))).rejects.toThrow('the Kafka producer thread stopped (exit code 3)');
    await thread.sendBatch(batch('ok'));

    expect(thread.threadId).toEqual(expect.any(Number));
    expect(thread.threadId).not.toBe(first);
    await thread.close();
  });

  it('writes the thread’s log lines with the main thread’s logger, and tells the thread which levels are on', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const thread = new KafkaProducerThread(transport(['127.0.0.1:1']), entry);

    await thread.sendBatch(batch('log'));

    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^levels .*warn.*error/));
    expect(warn.mock.contexts[0]).toMatchObject({ context: 'Producer' });
    await thread.close();
  });

  it('starts the compiled worker when built, and the TypeScript one through tsx from sources', () => {
    expect(producerThreadEntry('/app/dist/libs/messaging/src/kafka', '/app/dist/libs/messaging/src/kafka/kafka-producer.thread.js')).toEqual({
      filename: '/app/dist/libs/messaging/src/kafka/kafka-producer.worker.js',
      execArgv: [],
    });
    expect(producerThreadEntry('/repo/libs/messaging/src/kafka', '/repo/libs/messaging/src/kafka/kafka-producer.thread.ts')).toEqual({
      filename: '/repo/libs/messaging/src/kafka/kafka-producer.worker.ts',
      execArgv: ['--import', 'tsx'],
    });
  });
});
