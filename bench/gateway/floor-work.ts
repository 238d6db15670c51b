import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { SpanKind, trace, type Attributes, type Tracer } from '@opentelemetry/api';
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
 * - the span and the metrics come from the gateway's own telemetry set-up (libs/telemetry's
 *   startTelemetry, from the same OTEL_* variables: sampler, OTLP/HTTP protobuf export, span
 *   batches, the Prometheus reader, the kept attribute hashes) without its auto-instrumentations,
 *   and from its GenAI instruments (genAiMetrics); no context propagation;
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

/** What the work floor takes from Tollgate's libraries (their public exports, so a spec can hand in the sources). */
export interface FloorWorkLibs {
  /** Tollgate's kafkajs client and producer settings; the first call installs its kafkajs fixes. */
  messaging: {
    kafkaClientConfig(transport: { clientId: string; brokers: string[] }): KafkaConfig;
    kafkaProducerOptions(transport: { clientId: string; brokers: string[] }): { producer?: object };
  };
  /**
   * The events' ULIDs and topic. Not the `ulid` package: it draws each character's randomness
   * with its own crypto.getRandomValues call, 67 µs per work-floor call for two ULIDs in a window
   * profile at 1,500 req/s (docs/benchmarks.md, twenty-eighth session).
   */
  contracts: { newUlid(seedTime?: number): string; TOPICS: { llmCall: string } };
  /** The gateway's telemetry set-up (without its auto-instrumentations) and GenAI instruments. */
  telemetry: {
    startTelemetry(options: { serviceName: string; instrumentations?: boolean }): { shutdown(): Promise<void> };
    genAiMetrics: {
      recordTokenUsage(usage: { inputTokens?: number | null; outputTokens?: number | null }, attributes?: Attributes): void;
      recordOperationDuration(seconds: number, attributes?: Attributes): void;
    };
  };
}

/**
 * The built modules, beside the bench's own in dist/: the modules themselves, not the libraries'
 * indexes, which also load Nest and zod.
 */
function loadBuiltLibs(): Promise<FloorWorkLibs> {
  const built = (...path: string[]): string => join(__dirname, '..', 'libs', ...path);
  // require, not import(): Tollgate's kafkajs fixes go into the CommonJS require cache, which a
  // module loaded through import() did not reach (the work floor ran kafkajs' own partition
  // grouping that way).
  /* eslint-disable @typescript-eslint/no-require-imports -- built library modules by path */
  return Promise.resolve({
    messaging: require(built('messaging', 'src', 'kafka', 'kafka.config.js')) as FloorWorkLibs['messaging'],
    contracts: { ...(require(built('contracts', 'src', 'ids.js')) as object), ...(require(built('contracts', 'src', 'topics.js')) as object) } as FloorWorkLibs['contracts'],
    telemetry: { ...(require(built('telemetry', 'src', 'start-telemetry.js')) as object), ...(require(built('telemetry', 'src', 'metrics.js')) as object) } as FloorWorkLibs['telemetry'],
  });
  /* eslint-enable @typescript-eslint/no-require-imports */
}

const LINGER_MS = 100;
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
  const { messaging, contracts, telemetry } = await loadLibs();
  // OTEL_* come from the bench, as for the gateway. Without telemetry no SDK is started: the tracer
  // and the instruments are then the API's no-ops, and unused.
  const sdk = withTelemetry ? telemetry.startTelemetry({ serviceName: 'bench-work-floor', instrumentations: false }) : undefined;
  const tracer: Tracer = trace.getTracer('bench-work-floor');

  // Tollgate's kafkajs fixes are installed by kafkaClientConfig before kafkajs loads its modules.
  const transport = { clientId: 'bench-work-floor', brokers };
  const clientConfig = messaging.kafkaClientConfig(transport);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- after kafkaClientConfig has installed the fixes (see loadBuiltLibs)
  const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');
  const producer: Producer = new Kafka({ ...clientConfig, logLevel: logLevel.NOTHING }).producer(messaging.kafkaProducerOptions(transport).producer as ProducerConfig);
  await producer.connect();

  let pending: Message[] = [];
  let timer: NodeJS.Timeout | undefined;
  /** The batch the broker has not answered yet: one at a time, as the gateway's publisher sends. */
  let inFlight: { answered: Promise<void>; count: number } | undefined;
  let calls = 0;
  const counts = { acknowledged: 0, failed: 0 };
  /** Sends what is gathered as one batch; settles when the broker has answered, never rejects. */
  const send = (): Promise<void> => {
    const messages = pending;
    pending = [];
    const answered = producer
      .sendBatch({ acks: -1, topicMessages: [{ topic: contracts.TOPICS.llmCall, messages }] })
      .then(
        () => void (counts.acknowledged += messages.length),
        (error: unknown) => {
          counts.failed += messages.length;
          console.error(`work floor: ${messages.length} events not sent: ${String(error)}`);
        },
      )
      .finally(() => void (inFlight = undefined));
    inFlight = { answered, count: messages.length };
    return answered;
  };
  const flush = (): void => {
    timer = inFlight ? setTimeout(flush, LINGER_MS) : undefined;
    if (!inFlight) void send();
  };

  const attributes = Object.freeze({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' });

  return {
    async close(): Promise<void> {
      clearTimeout(timer);
      timer = undefined;
      await inFlight?.answered;
      if (pending.length > 0) await send();
      await producer.disconnect();
      await sdk?.shutdown();
    },
    stats: () => ({ parts: [...parts], eventsAcknowledged: counts.acknowledged, eventsFailed: counts.failed, eventsPending: pending.length + (inFlight?.count ?? 0) }),
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
          attributes: { ...attributes, 'gen_ai.request.model': model },
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
        telemetry.genAiMetrics.recordOperationDuration((endedAt - call.startedAt) / 1000, attributes);
        telemetry.genAiMetrics.recordTokenUsage({ inputTokens: input, outputTokens: output }, attributes);
      }
      if (!withEvent) return;

      const messages = Array.isArray(call.body.messages) ? (call.body.messages as unknown[]) : [];
      const event = {
        id: contracts.newUlid(endedAt),
        occurredAt: new Date(endedAt).toISOString(),
        tenantId: TENANT,
        type: 'llm.call',
        version: 1,
        callId: contracts.newUlid(endedAt),
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
