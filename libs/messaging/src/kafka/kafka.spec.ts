import { ClientKafka } from '@nestjs/microservices';
import { MemoizedDefaultPartitioner } from './kafkajs-partitioner';
import { ROOT_CONTEXT, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { EventValidationError, LlmCallV1, TOPICS } from '@tollgate/contracts';
import { buildOutgoingMessage } from '../event-publisher';
import type { EventRoute } from '../event-routes';
import { llmCallEvent } from '@tollgate/testing';
import { decodeKafkaHeaders, kafkaConsumerConfig, kafkaProducerOptions, kafkaServerOptions, planKafkaConsumers, toKafkaMessage } from './kafka.config';
import { KafkaEventPublisher } from './kafka.publisher';

const transport = { kind: 'kafka' as const, brokers: ['kafka-0:9092', 'kafka-1:9092'], clientId: 'tollgate-gateway' };

beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
afterAll(() => propagation.disable());

describe('Kafka message building', () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const spanContext = { traceId, spanId: 'b7ad6b7169203331', traceFlags: 1 };

  it('keys by tenant, sends the validated event as JSON and carries the trace context and event headers', () => {
    const event = llmCallEvent({ tenantId: 't_kafka' });

    const message = toKafkaMessage(buildOutgoingMessage(LlmCallV1, event, trace.setSpanContext(ROOT_CONTEXT, spanContext)));

    expect(message.key).toBe('t_kafka');
    expect(JSON.parse(String(message.value))).toEqual(event);
    expect(message.headers).toEqual({
      traceparent: `00-${traceId}-b7ad6b7169203331-01`,
      'tollgate-event-type': 'llm.call',
      'tollgate-event-version': '1',
    });
  });

  it('refuses an invalid event before building anything', () => {
    expect(() => buildOutgoingMessage(LlmCallV1, llmCallEvent({ outcome: 'maybe' as never }))).toThrow(EventValidationError);
  });

  it('decodes kafkajs headers (buffers, repeated values) to strings', () => {
    expect(decodeKafkaHeaders({ traceparent: Buffer.from('00-abc'), a: ['1', Buffer.from('2')], b: undefined, c: 'plain' })).toEqual({ traceparent: '00-abc', a: '2', c: 'plain' });
    expect(decodeKafkaHeaders(undefined)).toEqual({});
  });
});

describe('Kafka client settings', () => {
  it('uses an idempotent producer with acks=all and no reply consumer', () => {
    const options = kafkaProducerOptions(transport);
    expect(options).toMatchObject({
      producerOnlyMode: true,
      producer: { idempotent: true, maxInFlightRequests: 1 },
      send: { acks: -1 },
      client: { clientId: 'tollgate-gateway', brokers: transport.brokers, ssl: false },
    });
    expect(options.client?.sasl).toBeUndefined();
    expect(options.producer?.createPartitioner).toBe(MemoizedDefaultPartitioner);
  });

  it('passes TLS and SASL through to kafkajs', () => {
    const secured = { ...transport, ssl: true, sasl: { mechanism: 'scram-sha-512' as const, username: 'svc', password: 'from-a-secret' } };
    expect(kafkaServerOptions(secured).client).toMatchObject({ ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'from-a-secret' } });
  });
});

describe('Kafka consumer groups', () => {
  const route = (topic: string, group: string): EventRoute => ({ topic, group, concurrency: 1, invoke: async () => undefined });

  it('shares tollgate.<group> across replicas, and gives each instance its own group on compacted topics', () => {
    const plans = planKafkaConsumers(
      [route(TOPICS.llmCall, 'cost-ledger'), route(TOPICS.llmCall, 'similarity'), route(TOPICS.governanceApiKey, 'apikey-directory'), route(TOPICS.deadLetter, 'cost-ledger')],
      '01JABCDEFGHJKMNPQRSTVWXYZ0',
    );

    expect(plans.map((p) => [p.groupId, [...p.routes.keys()]])).toEqual([
      ['tollgate.cost-ledger', [TOPICS.llmCall, TOPICS.deadLetter]],
      ['tollgate.similarity', [TOPICS.llmCall]],
      ['tollgate.apikey-directory.01jabcdefghjkmnpqrstvwxyz0', [TOPICS.governanceApiKey]],
    ]);
  });
});

describe('KafkaEventPublisher', () => {
  afterEach(() => jest.restoreAllMocks());

  it('sends through the kafkajs producer with the key, headers and acks=all, and resolves once the broker acknowledged', async () => {
    const sendBatch = jest.fn(async () => [{ topicName: TOPICS.llmCall, partition: 0, errorCode: 0 }]);
    const producer = { sendBatch, disconnect: jest.fn(async () => undefined) };
    // Stands in for the broker connection only.
    jest.spyOn(ClientKafka.prototype, 'connect').mockImplementation(async function (this: ClientKafka) {
      (this as unknown as { _producer: unknown })._producer = producer;
      return producer as never;
    });
    const publisher = new KafkaEventPublisher(transport);
    const event = llmCallEvent({ tenantId: 't_9' });

    await publisher.publish(LlmCallV1, event);

    expect(sendBatch).toHaveBeenCalledTimes(1);
    expect(sendBatch).toHaveBeenCalledWith({
      acks: -1,
      topicMessages: [{ topic: TOPICS.llmCall, messages: [{ key: 't_9', value: expect.any(String), headers: { 'tollgate-event-type': 'llm.call', 'tollgate-event-version': '1' } }] }],
    });
    const [record] = sendBatch.mock.calls[0] as unknown as [{ topicMessages: Array<{ messages: Array<{ value: string }> }> }];
    expect(JSON.parse(record.topicMessages[0].messages[0].value)).toEqual(event);
    await publisher.close();
    expect(producer.disconnect).toHaveBeenCalled();
  });

  it('sends the events published within the linger time in one Produce request, and rejects each of them when it fails', async () => {
    let fail = false;
    const sendBatch = jest.fn(async () => {
      if (fail) throw new Error('broker gone');
      return [];
    });
    jest.spyOn(ClientKafka.prototype, 'connect').mockImplementation(async () => ({ sendBatch, disconnect: async () => undefined }) as never);
    const publisher = new KafkaEventPublisher({ ...transport, lingerMs: 20 });

    await Promise.all([1, 2, 3].map((n) => publisher.publish(LlmCallV1, llmCallEvent({ tenantId: `t_${n}` }))));
    expect(sendBatch).toHaveBeenCalledTimes(1);
    const [record] = sendBatch.mock.calls[0] as unknown as [{ topicMessages: Array<{ messages: Array<{ key: string }> }> }];
    expect(record.topicMessages[0].messages.map((m) => m.key)).toEqual(['t_1', 't_2', 't_3']);

    fail = true;
    const results = await Promise.allSettled([1, 2].map((n) => publisher.publish(LlmCallV1, llmCallEvent({ tenantId: `t_${n}` }))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(sendBatch).toHaveBeenCalledTimes(2);
    await publisher.close();
  });

  it('lets the events published while a batch is in flight linger too, from the first of them, before they leave together', async () => {
    const sentAt: number[] = [];
    const keys: string[][] = [];
    let publishedAt = 0;
    let later: Array<Promise<void>> = [];
    const sendBatch = jest.fn(async (record: { topicMessages: Array<{ messages: Array<{ key: string }> }> }) => {
      sentAt.push(performance.now());
      keys.push(record.topicMessages[0].messages.map((m) => m.key));
      if (sentAt.length === 1) {
        // While the first batch is in flight (acknowledged 30 ms from now), two more are published.
        publishedAt = performance.now();
        later = [2, 3].map((n) => publisher.publish(LlmCallV1, llmCallEvent({ tenantId: `t_${n}` })));
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
      return [];
    });
    jest.spyOn(ClientKafka.prototype, 'connect').mockImplementation(async () => ({ sendBatch, disconnect: async () => undefined }) as never);
    const publisher = new KafkaEventPublisher({ ...transport, lingerMs: 100 });

    await publisher.publish(LlmCallV1, llmCallEvent({ tenantId: 't_1' }));
    await Promise.all(later);

    expect(keys).toEqual([['t_1'], ['t_2', 't_3']]);
    // Not sent the moment the first batch was acknowledged (30 ms later) but after their own linger.
    expect(sentAt[1] - publishedAt).toBeGreaterThanOrEqual(95);
    await publisher.close();
  });

  it('sends at once what an outbox prepared a linger ago: the linger counts from when the events were prepared, not handed over', async () => {
    const sendBatch = jest.fn(async () => []);
    jest.spyOn(ClientKafka.prototype, 'connect').mockImplementation(async () => ({ sendBatch, disconnect: async () => undefined }) as never);
    // A linger longer than the test's timeout: a send that waited it would fail the test.
    const publisher = new KafkaEventPublisher({ ...transport, lingerMs: 600_000 });
    const recorded = [1, 2].map((n) => publisher.prepare(LlmCallV1, llmCallEvent({ tenantId: `t_${n}` }), { validate: false }));
    const waitedInTheOutbox = recorded.map((prepared) => ({ ...prepared, preparedAt: prepared.preparedAt - 600_000 }));

    await publisher.sendPrepared(waitedInTheOutbox);
    expect(sendBatch).toHaveBeenCalledTimes(1);
    const [record] = sendBatch.mock.calls[0] as unknown as [{ topicMessages: Array<{ messages: Array<{ key: string }> }> }];
    expect(record.topicMessages[0].messages.map((m) => m.key)).toEqual(['t_1', 't_2']);
    await publisher.close();
  });

  it('rejects an invalid event without sending', async () => {
    const connect = jest.spyOn(ClientKafka.prototype, 'connect');
    const publisher = new KafkaEventPublisher(transport);

    await expect(publisher.publish(LlmCallV1, llmCallEvent({ tenantId: '' }))).rejects.toBeInstanceOf(EventValidationError);
    expect(connect).not.toHaveBeenCalled();
  });
});

describe('Kafka consumer settings', () => {
  it('long-polls for at most a second, so that stopping a consumer does not wait out a 5 s Fetch', () => {
    expect(kafkaConsumerConfig('tollgate.cost-ledger')).toEqual({ groupId: 'tollgate.cost-ledger', maxWaitTimeInMs: 1_000 });
  });
});
