import { createHash } from 'node:crypto';
import { LlmCallV1Schema, TOPICS } from '@tollgate/contracts';
import { expectEventually, KafkaTestBroker, OtlpHttpReceiver } from '@tollgate/testing';
import { floorWorkParts, startFloorWork } from './floor-work';
import type { FloorWork, FloorWorkLibs } from './floor-work';

// The work floor's per-call work (an llm.call event on Kafka, a span over OTLP) against the
// project's Kafka-protocol test broker and a local OTLP/HTTP receiver.
describe('startFloorWork', () => {
  let broker: KafkaTestBroker;
  const otlp = new OtlpHttpReceiver();
  const works: FloorWork[] = [];
  const saved = { ...process.env };
  const libs = async (): Promise<FloorWorkLibs> => ({
    messaging: await import('@tollgate/messaging'),
    contracts: await import('@tollgate/contracts'),
    telemetry: await import('@tollgate/telemetry'),
  });

  beforeAll(async () => {
    broker = await KafkaTestBroker.start({ partitions: 3, log: () => undefined });
    const { url } = await otlp.start();
    Object.assign(process.env, {
      OTEL_TRACES_SAMPLER: 'always_on',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: url,
      OTEL_METRICS_EXPORTER: 'none',
    });
  });

  afterAll(async () => {
    for (const work of works) await work.close();
    await otlp.stop();
    await broker.stop();
    process.env = saved;
  });

  it('publishes one valid llm.call event per call, with the answer\'s usage, and exports its span', async () => {
    const work = await startFloorWork([`127.0.0.1:${broker.port}`], libs);
    works.push(work);
    const text = JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'hi' }] });
    const body = JSON.parse(text) as { model: string; messages: unknown[] };
    const startedAt = Date.now() - 5;
    work.record({ startedAt, body, text, status: 200, usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 }, responseModel: 'bench-model-1', finishReason: 'stop' });
    work.record({ startedAt, body: { ...body, stream: true }, text, status: 200 });

    await expectEventually(() => expect(work.stats()).toEqual({ parts: ['event', 'telemetry'], eventsAcknowledged: 2, eventsFailed: 0, eventsPending: 0 }));
    const events = broker.topicMessages(TOPICS.llmCall).map((record) => LlmCallV1Schema.parse(JSON.parse(String(record.value))));
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      type: 'llm.call',
      requestedModel: 'bench-model',
      responseModel: 'bench-model-1',
      stream: false,
      usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10 },
      attempts: [{ status: 200 }],
      promptFingerprint: createHash('sha256').update(text).digest('hex'),
      promptStats: { messageCount: 1, characters: text.length },
    });
    expect(events[1]).toMatchObject({ stream: true, usage: { inputTokens: 0, outputTokens: 0 } });
    expect(events[0]!.callId).not.toBe(events[1]!.callId);

    const spans = await otlp.waitForSpans(2, { filter: (span) => span.name === 'chat bench-model' });
    expect(spans.map((span) => span.traceId).sort()).toEqual(events.map((event) => event.traceId).sort());
    expect(spans.find((span) => span.traceId === events[0]!.traceId)).toMatchObject({
      kind: 3,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 7, 'gen_ai.usage.output_tokens': 3, 'gen_ai.response.model': 'bench-model-1' },
    });
  });

  it('with only the event part, publishes the event without a trace id: no span was made for it', async () => {
    const work = await startFloorWork([`127.0.0.1:${broker.port}`], libs, ['event']);
    works.push(work);
    const before = broker.topicMessages(TOPICS.llmCall).length;
    const text = JSON.stringify({ model: 'event-only', messages: [] });
    work.record({ startedAt: Date.now(), body: JSON.parse(text) as object, text, status: 200, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });

    await expectEventually(() => expect(work.stats()).toEqual({ parts: ['event'], eventsAcknowledged: 1, eventsFailed: 0, eventsPending: 0 }));
    const events = broker.topicMessages(TOPICS.llmCall).slice(before).map((record) => LlmCallV1Schema.parse(JSON.parse(String(record.value))));
    expect(events).toMatchObject([{ requestedModel: 'event-only', traceId: null }]);
  });
});

describe('floorWorkParts', () => {
  it('is both parts when unset or empty, in a fixed order, and refuses an unknown part', () => {
    expect(floorWorkParts(undefined)).toEqual(['event', 'telemetry']);
    expect(floorWorkParts(' ')).toEqual(['event', 'telemetry']);
    expect(floorWorkParts('telemetry, event')).toEqual(['event', 'telemetry']);
    expect(floorWorkParts('event')).toEqual(['event']);
    expect(() => floorWorkParts('events')).toThrow('BENCH_FLOOR_WORK_PARTS takes event and/or telemetry, got "events"');
  });
});
