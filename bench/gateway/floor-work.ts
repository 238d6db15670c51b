import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { metrics, SpanKind, trace, type Histogram, type Tracer } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { KafkaConfig, Message, Producer, ProducerConfig } from 'kafkajs';

/**
 * The work the issue requires of every call, done the least way (docs/gateway-performance.md, the
 * team's option 1): one `llm.call` event on Kafka and one `chat {model}` span with the GenAI
 * attributes, plus the issue's two metrics. The floor proxy does it when BENCH_FLOOR_WORK_BROKERS
 * names the Kafka brokers: that is the bench's `work-floor` target, a reference the report
 * compares the gateway with besides the issue's floor. It is not one of the issue's targets.
 *
 * Done as cheaply as Tollgate knows how, so that what the gateway spends above it is the
 * gateway's own overhead, not the price of the work:
 * - the event goes through Tollgate's kafkajs set-up (libs/messaging's kafkaClientConfig: its
 *   one-pass Produce encoding, its partition grouping, its encoder) with the gateway's producer
 *   settings (idempotent, acks=all), gathered for 100 ms (the gateway's linger) and sent in one
 *   sendBatch;
 * - the span comes from the OpenTelemetry SDK configured by the same OTEL_* variables as the
 *   gateway's (sampler, OTLP/HTTP protobuf exporter, batches of 64 spans or 1 s), with no
 *   instrumentations and no context propagation;
 * - the metrics are two histograms with frozen attribute sets whose hashes are kept (libs/telemetry's
 *   memoizeFrozenAttributeHashes), read by a Prometheus exporter that is never scraped, as in the
 *   bench's gateway;
 * - the event's ids are libs/contracts' ULIDs, and its prompt fingerprint a SHA-256 of the body.
 *
 * Not done here, though the gateway does them: auth, validation, routing, budgets, retries and
 * breakers, and the attributes that come from them (the event says what the floor knows).
 */
export interface CallFacts {
  startedAt: number;
  /** The request body as parsed. */
  body: { model?: unknown; stream?: unknown; messages?: unknown };
  /** The request body's text, for the prompt fingerprint. */
  text: string;
  status: number;
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
  responseModel?: string;
  finishReason?: string;
}

export interface FloorWorkStats {
  parts: FloorWorkPart[];
  /** Events the broker acknowledged. */
  eventsAcknowledged: number;
  eventsFailed: number;
  /** Events recorded and not yet sent or answered. */
  eventsPending: number;
}

export interface FloorWork {
  record(call: CallFacts): void;
  stats(): FloorWorkStats;
  /** Sends what is gathered, ends the span export and disconnects (tests; the bench kills the process). */
  close(): Promise<void>;
}

/** What the work floor takes from Tollgate's libraries. */
export interface FloorWorkLibs {
  /** libs/messaging's kafka.config, which installs Tollgate's kafkajs fixes when first asked for a client config. */
  kafkaClientConfig(transport: { clientId: string; brokers: string[] }): KafkaConfig;
  kafkaProducerOptions(transport: { clientId: string; brokers: string[] }): { producer?: object };
  /**
   * libs/contracts' ULID, as the gateway's events use. The `ulid` package draws each character's
   * randomness with its own crypto.getRandomValues call: 67 µs per work-floor call for two ULIDs
   * in a window profile at 1,500 req/s (docs/benchmarks.md, twenty-eighth session).
   */
  newUlid(seedTime?: number): string;
  /** libs/telemetry's: the SDK hashes a frozen attribute set once, not on every metric point, as in the gateway. */
  memoizeFrozenAttributeHashes(): boolean;
}

/**
 * The built modules, beside the bench's own in dist/: the modules themselves, not the libraries'
 * indexes, which also load Nest and zod.
 */
async function loadBuiltLibs(): Promise<FloorWorkLibs> {
  const built = (...path: string[]): string => join(__dirname, '..', 'libs', ...path);
  // require, not import(): Tollgate's kafkajs fixes go into the CommonJS require cache, which a
  // module loaded through import() did not reach (the work floor ran kafkajs' own partition
  // grouping that way).
  /* eslint-disable @typescript-eslint/no-require-imports -- built library modules by path */
  const kafka = require(built('messaging', 'src', 'kafka', 'kafka.config.js')) as Pick<FloorWorkLibs, 'kafkaClientConfig' | 'kafkaProducerOptions'>;
  const ids = require(built('contracts', 'src', 'ids.js')) as Pick<FloorWorkLibs, 'newUlid'>;
  const attributeSets = require(built('telemetry', 'src', 'attribute-sets.js')) as Pick<FloorWorkLibs, 'memoizeFrozenAttributeHashes'>;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return Promise.resolve({ kafkaClientConfig: kafka.kafkaClientConfig, kafkaProducerOptions: kafka.kafkaProducerOptions, newUlid: ids.newUlid, memoizeFrozenAttributeHashes: attributeSets.memoizeFrozenAttributeHashes });
}

const LINGER_MS = 100;
const TOPIC = 'tollgate.llm.call.v1';
const TENANT = 'bench-work-floor';

/** The parts of the work: the `llm.call` event, and the span with the metrics. */
export type FloorWorkPart = 'event' | 'telemetry';
export const FLOOR_WORK_PARTS: readonly FloorWorkPart[] = ['event', 'telemetry'];

/**
 * BENCH_FLOOR_WORK_PARTS="event" or "telemetry": the work floor does only that part (diagnosis:
 * which part costs what); unset, both.
 */
export function floorWorkParts(value: string | undefined): FloorWorkPart[] {
  if (value === undefined || value.trim() === '') return [...FLOOR_WORK_PARTS];
  const parts = value.split(',').map((part) => part.trim());
  const unknown = parts.filter((part) => !(FLOOR_WORK_PARTS as readonly string[]).includes(part));
  if (unknown.length > 0) throw new Error(`BENCH_FLOOR_WORK_PARTS takes ${FLOOR_WORK_PARTS.join(' and/or ')}, got "${value}"`);
  return FLOOR_WORK_PARTS.filter((part) => parts.includes(part));
}

export async function startFloorWork(brokers: string[], loadLibs: () => Promise<FloorWorkLibs> = loadBuiltLibs, parts: readonly FloorWorkPart[] = FLOOR_WORK_PARTS): Promise<FloorWork> {
  const withEvent = parts.includes('event');
  const withTelemetry = parts.includes('telemetry');
  // OTEL_* come from the bench, as for the gateway; the gateway's span batch defaults (64 / 1 s).
  process.env['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'] ??= '64';
  process.env['OTEL_BSP_SCHEDULE_DELAY'] ??= '1000';
  const libs = await loadLibs();
  libs.memoizeFrozenAttributeHashes();
  // Without telemetry no SDK is started: the tracer and meter below are the API's no-ops, unused.
  const sdk = withTelemetry ? new NodeSDK({ serviceName: 'bench-work-floor', instrumentations: [], metricReaders: [new PrometheusExporter({ preventServerStart: true })] }) : undefined;
  sdk?.start();
  const tracer: Tracer = trace.getTracer('bench-work-floor');
  const meter = metrics.getMeter('bench-work-floor');
  const duration: Histogram = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's' });
  const tokens: Histogram = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' });

  // Tollgate's kafkajs fixes are installed by kafkaClientConfig before kafkajs loads its modules.
  const transport = { clientId: 'bench-work-floor', brokers };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- after kafkaClientConfig has installed the fixes (see loadBuiltLibs)
  const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');
  const producer: Producer = new Kafka({ ...libs.kafkaClientConfig(transport), logLevel: logLevel.NOTHING }).producer(libs.kafkaProducerOptions(transport).producer as ProducerConfig);
  await producer.connect();

  let pending: Message[] = [];
  let timer: NodeJS.Timeout | undefined;
  let sending = false;
  let calls = 0;
  const counts = { acknowledged: 0, failed: 0, inFlight: 0 };
  const flush = (): void => {
    timer = undefined;
    if (sending) return void (timer = setTimeout(flush, LINGER_MS));
    const messages = pending;
    pending = [];
    sending = true;
    counts.inFlight = messages.length;
    producer
      .sendBatch({ acks: -1, topicMessages: [{ topic: TOPIC, messages }] })
      .then(() => void (counts.acknowledged += messages.length))
      .catch((error: unknown) => {
        counts.failed += messages.length;
        console.error(`work floor: ${messages.length} events not sent: ${String(error)}`);
      })
      .finally(() => {
        sending = false;
        counts.inFlight = 0;
      });
  };

  const durationAttributes = Object.freeze({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' });
  const inputAttributes = Object.freeze({ ...durationAttributes, 'gen_ai.token.type': 'input' });
  const outputAttributes = Object.freeze({ ...durationAttributes, 'gen_ai.token.type': 'output' });

  return {
    async close(): Promise<void> {
      clearTimeout(timer);
      timer = undefined;
      const deadline = Date.now() + 10_000;
      while (sending && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      if (pending.length > 0) {
        const messages = pending;
        pending = [];
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic: TOPIC, messages }] });
        counts.acknowledged += messages.length;
      }
      await producer.disconnect();
      await sdk?.shutdown();
    },
    stats: () => ({ parts: [...parts], eventsAcknowledged: counts.acknowledged, eventsFailed: counts.failed, eventsPending: pending.length + counts.inFlight }),
    record(call: CallFacts): void {
      const endedAt = Date.now();
      const model = typeof call.body.model === 'string' ? call.body.model : 'unknown';
      const input = call.usage?.prompt_tokens ?? 0;
      const output = call.usage?.completion_tokens ?? 0;
      let traceId: string | null = null;
      if (withTelemetry) {
        const span = tracer.startSpan(`chat ${model}`, {
          kind: SpanKind.CLIENT,
          startTime: call.startedAt,
          attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': model },
        });
        if (span.isRecording()) {
          span.setAttributes({
            'gen_ai.response.model': call.responseModel ?? model,
            'gen_ai.usage.input_tokens': input,
            'gen_ai.usage.output_tokens': output,
            'gen_ai.response.finish_reasons': [call.finishReason ?? 'stop'],
          });
        }
        span.end(endedAt);
        traceId = span.spanContext().traceId;
        duration.record((endedAt - call.startedAt) / 1000, durationAttributes);
        tokens.record(input, inputAttributes);
        tokens.record(output, outputAttributes);
      }
      if (!withEvent) return;

      const messages = Array.isArray(call.body.messages) ? (call.body.messages as unknown[]) : [];
      const event = {
        id: libs.newUlid(endedAt),
        occurredAt: new Date(endedAt).toISOString(),
        tenantId: TENANT,
        type: 'llm.call',
        version: 1,
        callId: libs.newUlid(endedAt),
        requestId: `bench-${++calls}`,
        apiKeyId: 'bench-key',
        userId: null,
        endUser: null,
        attribution: { agentId: 'bench', workflowId: null, nodeId: null, sessionId: null },
        plan: 'pro',
        region: 'global',
        operation: 'chat',
        requestedModel: model,
        stream: call.body.stream === true,
        route: { provider: 'openai-compatible', model, deployment: 'bench-upstream', region: 'global', rule: null, reason: 'the only deployment', policyVersion: null, candidates: ['bench-upstream'] },
        attempts: [{ provider: 'openai-compatible', model, deployment: 'bench-upstream', status: call.status, latencyMs: endedAt - call.startedAt, errorClass: null }],
        usage: { inputTokens: input, outputTokens: output, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: input + output, source: 'provider' },
        providerCostUsd: null,
        responseModel: call.responseModel ?? null,
        finishReasons: [call.finishReason ?? 'stop'],
        startedAt: new Date(call.startedAt).toISOString(),
        latencyMs: endedAt - call.startedAt,
        timeToFirstTokenMs: null,
        outcome: call.status < 400 ? 'ok' : 'failed',
        error: null,
        guardrails: [],
        privacyMode: 'metadata',
        promptFingerprint: createHash('sha256').update(call.text).digest('hex'),
        promptStats: { messageCount: messages.length, characters: call.text.length },
        content: null,
        traceId,
      };
      pending.push({ key: TENANT, value: JSON.stringify(event) });
      timer ??= setTimeout(flush, LINGER_MS);
    },
  };
}
