import { metrics } from '@opentelemetry/api';
import type { Attributes, Context, Counter, Gauge, Histogram, Meter, MeterProvider, MetricOptions, UpDownCounter } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_TOKEN_TYPE,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  TOLLGATE_INSTRUMENTATION_SCOPE,
} from './semconv';
import { DerivedAttributeSets } from './attribute-sets';

/** Bucket boundaries the GenAI metrics conventions prescribe for gen_ai.client.token.usage. */
export const GEN_AI_TOKEN_USAGE_BUCKETS: readonly number[] = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/** Bucket boundaries (seconds) the GenAI metrics conventions prescribe for gen_ai.client.operation.duration. */
export const GEN_AI_OPERATION_DURATION_BUCKETS: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/**
 * Resolves an instrument from whichever MeterProvider is global *now*.
 *
 * @opentelemetry/api 1.x has no proxy meter provider: a meter taken before the SDK registers stays
 * a no-op forever. Instruments are declared at module load (this lib is imported before
 * startTelemetry runs), so each one re-resolves when the global provider changes and is a no-op
 * until then.
 */
function lateBound<T>(create: (meter: Meter) => T): () => T {
  let boundTo: MeterProvider | undefined;
  let instrument: T | undefined;
  return () => {
    const provider = metrics.getMeterProvider();
    if (instrument === undefined || provider !== boundTo) {
      boundTo = provider;
      instrument = create(provider.getMeter(TOLLGATE_INSTRUMENTATION_SCOPE));
    }
    return instrument;
  };
}

/**
 * Creates Tollgate's instruments. They are safe to declare at module scope and to use before (or
 * without) startTelemetry: they record nothing until the SDK is running.
 */
export const tollgateMeter = {
  counter(name: string, options?: MetricOptions): Counter {
    const resolve = lateBound((meter) => meter.createCounter(name, options));
    return { add: (value: number, attributes?: Attributes, context?: Context) => resolve().add(value, attributes, context) };
  },
  upDownCounter(name: string, options?: MetricOptions): UpDownCounter {
    const resolve = lateBound((meter) => meter.createUpDownCounter(name, options));
    return { add: (value: number, attributes?: Attributes, context?: Context) => resolve().add(value, attributes, context) };
  },
  /** A synchronous gauge: record the current value whenever it changes (breaker state, lag). */
  gauge(name: string, options?: MetricOptions): Gauge {
    const resolve = lateBound((meter) => meter.createGauge(name, options));
    return { record: (value: number, attributes?: Attributes, context?: Context) => resolve().record(value, attributes, context) };
  },
  histogram(name: string, options?: MetricOptions): Histogram {
    const resolve = lateBound((meter) => meter.createHistogram(name, options));
    return { record: (value: number, attributes?: Attributes, context?: Context) => resolve().record(value, attributes, context) };
  },
} as const;

const tokenUsage = tollgateMeter.histogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
  unit: '{token}',
  description: 'Number of input and output tokens used.',
  advice: { explicitBucketBoundaries: [...GEN_AI_TOKEN_USAGE_BUCKETS] },
});

const operationDuration = tollgateMeter.histogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
  unit: 's',
  description: 'GenAI operation duration.',
  advice: { explicitBucketBoundaries: [...GEN_AI_OPERATION_DURATION_BUCKETS] },
});

const inputTokenSets = new DerivedAttributeSets({ [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_INPUT });
const outputTokenSets = new DerivedAttributeSets({ [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT });

/**
 * The GenAI client metrics. Attributes per the conventions: gen_ai.operation.name,
 * gen_ai.provider.name, gen_ai.request.model, gen_ai.response.model, server.address, error.type
 * (duration only, on failure). Keep tenant ids and other high-cardinality values off metrics.
 */
export const genAiMetrics = {
  tokenUsage,
  operationDuration,
  /**
   * Records input and output token counts as two points of gen_ai.client.token.usage. Pass an
   * interned set (AttributeSets) on a hot path: the two derived sets are then built once too.
   */
  recordTokenUsage(usage: { inputTokens?: number | null; outputTokens?: number | null }, attributes: Attributes = {}): void {
    if (usage.inputTokens != null) {
      tokenUsage.record(usage.inputTokens, inputTokenSets.of(attributes));
    }
    if (usage.outputTokens != null) {
      tokenUsage.record(usage.outputTokens, outputTokenSets.of(attributes));
    }
  },
  /** Records one operation's duration in seconds. */
  recordOperationDuration(seconds: number, attributes: Attributes = {}): void {
    operationDuration.record(seconds, attributes);
  },
} as const;
