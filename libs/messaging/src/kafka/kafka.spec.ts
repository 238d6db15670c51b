import { Partitioners } from 'kafkajs';
import { ROOT_CONTEXT, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { EventValidationError, LlmCallV1, TOPICS } from '@tollgate/contracts';
import { buildOutgoingMessage } from '../event-publisher';
import type { EventRoute } from '../event-routes';
import { llmCallEvent } from '@tollgate/testing';
import type { OutgoingMessage } from '../event-publisher';
import { KAFKA_PRODUCE_ACKS, kafkaClientConfig, kafkaProducerConfig, toKafkaMessage } from './kafka.client-config';
import { decodeKafkaHeaders, kafkaConsumerConfig, kafkaServerOptions, planKafkaConsumers } from './kafka.config';
import type { ProducerChannel } from './kafka-producer.thread';
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
  it('uses an idempotent producer, one request in flight, the murmur2 partitioner and acks=all', () => {
    expect(kafkaProducerConfig()).toEqual({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    expect(KAFKA_PRODUCE_ACKS).toBe(-1);
    expect(kafkaClientConfig(transport)).toEqual({ clientId: 'tollgate-gateway', brokers: transport.brokers, ssl: false });
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

/** Stands in for the producer thread (its own spec runs it against the test broker): records each batch. */
function fakeProducer(): ProducerChannel & { batches: OutgoingMessage[][]; fail: boolean; closed: boolean } {
  const fake = {
    batches: [] as OutgoingMessage[][],
    fail: false,
    closed: false,
    connect: async () => undefined,
    send: async (messages: OutgoingMessage[]) => {
      fake.batches.push(messages);
      if (fake.fail) throw new Error('broker gone');
    },
    close: async () => {
      fake.closed = true;
    },
  };
  return fake;
}

describe('KafkaEventPublisher', () => {
  it('hands the producer the keyed JSON message with its event headers, resolves once it is sent, and closes the producer', async () => {
    const producer = fakeProducer();
    const publisher = new KafkaEventPublisher(transport, producer);
    const event = llmCallEvent({ tenantId: 't_9' });

    await publisher.publish(LlmCallV1, event);

    expect(producer.batches).toEqual([[{ topic: TOPICS.llmCall, key: 't_9', value: expect.any(String), headers: { 'tollgate-event-type': 'llm.call', 'tollgate-event-version': '1' } }]]);
    expect(JSON.parse(producer.batches[0][0].value)).toEqual(event);
    await publisher.close();
    expect(producer.closed).toBe(true);
  });

  it('sends the events published within the linger time in one batch, and rejects each of them when it fails', async () => {
    const producer = fakeProducer();
    const publisher = new KafkaEventPublisher({ ...transport, lingerMs: 20 }, producer);

    await Promise.all([1, 2, 3].map((n) => publisher.publish(LlmCallV1, llmCallEvent({ tenantId: `t_${n}` }))));
    expect(producer.batches.map((batch) => batch.map((m) => m.key))).toEqual([['t_1', 't_2', 't_3']]);

    producer.fail = true;
    const results = await Promise.allSettled([1, 2].map((n) => publisher.publish(LlmCallV1, llmCallEvent({ tenantId: `t_${n}` }))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(producer.batches).toHaveLength(2);
    await publisher.close();
  });

  it('rejects an invalid event without sending', async () => {
    const producer = fakeProducer();
    const publisher = new KafkaEventPublisher(transport, producer);

    await expect(publisher.publish(LlmCallV1, llmCallEvent({ tenantId: '' }))).rejects.toBeInstanceOf(EventValidationError);
    expect(producer.batches).toEqual([]);
  });
});

describe('Kafka consumer settings', () => {
  it('long-polls for at most a second, so that stopping a consumer does not wait out a 5 s Fetch', () => {
    expect(kafkaConsumerConfig('tollgate.cost-ledger')).toEqual({ groupId: 'tollgate.cost-ledger', maxWaitTimeInMs: 1_000 });
  });
});
