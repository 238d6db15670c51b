import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import { getBooleanFromEnv, getStringFromEnv } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { memoizeFrozenAttributeHashes } from './attribute-sets';
import { langfuseProcessor, otlpMetricReaders, traceExportProcessors } from './exporters';
import { tollgateInstrumentations } from './instrumentations';
import { createPrometheusReader } from './prometheus';
import { ATTR_SERVICE_NAMESPACE, ATTR_SERVICE_VERSION, TOLLGATE_SERVICE_NAMESPACE } from './semconv';

export interface TelemetryOptions {
  /** Short service name (`gateway`); reported as `tollgate-gateway` unless OTEL_SERVICE_NAME is set. */
  serviceName: string;
  serviceVersion?: string;
  /**
   * The auto-instrumentations (http, express, pg). Default true. false: the process makes only
   * the spans it starts itself (bench:gateway's work floor, which must not trace its HTTP server).
   */
  instrumentations?: boolean;
}

export interface TelemetryHandle {
  /** The service.name actually reported. */
  readonly serviceName: string;
  /** Exports what is buffered now (spans and metrics); never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes spans and metrics, then stops exporting. Idempotent; never rejects. */
  shutdown(): Promise<void>;
}

let current: TelemetryHandle | undefined;

/** The running telemetry, if startTelemetry was called in this process. */
export function getTelemetry(): TelemetryHandle | undefined {
  return current;
}

/**
 * Starts OpenTelemetry for this process. Call it first in an entry point, before Nest, pg,
 * kafkajs, express or http are required, so the instrumentations can patch them.
 *
 * The SDK is process-global: a second call returns the first handle (and ignores its options).
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  current ??= start(options);
  return current;
}

function start(options: TelemetryOptions): TelemetryHandle {
  // The API's default diagnostic logger drops everything, so failed exports would go unseen.
  // OTEL_LOG_LEVEL, when set, makes the SDK install its own logger instead.
  if (getStringFromEnv('OTEL_LOG_LEVEL') === undefined) diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);

  const serviceName = getStringFromEnv('OTEL_SERVICE_NAME') ?? `tollgate-${options.serviceName}`;
  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) return inertHandle(serviceName);

  try {
    // Before the MeterProvider makes its attribute maps: interned (frozen) sets are hashed once.
    memoizeFrozenAttributeHashes();
    const serviceVersion = options.serviceVersion ?? process.env['npm_package_version'];
    const processors = spanProcessors();
    const readers = [createPrometheusReader(), ...otlpMetricReaders()];
    const sdk = new NodeSDK({
      // Merged under the detected resource, so OTEL_RESOURCE_ATTRIBUTES can still add or override.
      resource: defaultResource().merge(
        resourceFromAttributes({
          [ATTR_SERVICE_NAMESPACE]: TOLLGATE_SERVICE_NAMESPACE,
          ...(serviceVersion === undefined ? {} : { [ATTR_SERVICE_VERSION]: serviceVersion }),
        }),
      ),
      serviceName,
      // No sampler here on purpose: sdk-node reads OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG only
      // when none is passed (default parentbased_always_on). Likewise no propagator: unset
      // OTEL_PROPAGATORS gives W3C tracecontext + baggage.
      spanProcessors: processors,
      metricReaders: readers,
      // Tollgate logs through Nest to stdout; an empty list stops the SDK's default OTLP log exporter.
      logRecordProcessors: [],
      instrumentations: options.instrumentations === false ? [] : tollgateInstrumentations(),
    });
    sdk.start();
    if (options.instrumentations !== false) preloadForEsmImporters();
    return sdkHandle(sdk, serviceName, [...processors, ...readers]);
  } catch (error) {
    diag.error('telemetry: could not start OpenTelemetry; the service runs without it', error);
    return inertHandle(serviceName);
  }
}

/**
 * @nestjs/platform-express 12 is ESM and imports express through the ESM loader, which
 * require-in-the-middle never sees, so express would stay unpatched (no route, no handler spans).
 * Loading it once through require() now lets the instrumentation patch the Router and application
 * objects that Nest's import then shares. pg and kafkajs are loaded with require() anyway.
 */
function preloadForEsmImporters(): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded for its side effect (patching)
    require('express');
  } catch {
    // Not installed in this process: nothing to patch.
  }
}

function spanProcessors(): SpanProcessor[] {
  const processors = [...traceExportProcessors()];
  const langfuse = langfuseProcessor();
  if (langfuse) processors.push(langfuse);
  // sdk-node registers no tracer provider without a processor, and then no span has a trace id:
  // llm.call events and Kafka headers would carry none. Keep real (unexported) spans instead.
  if (processors.length === 0) processors.push(new NoopSpanProcessor());
  return processors;
}

function sdkHandle(sdk: NodeSDK, serviceName: string, flushables: ReadonlyArray<{ forceFlush(): Promise<void> }>): TelemetryHandle {
  let stopped: Promise<void> | undefined;
  return {
    serviceName,
    // NodeSDK itself only flushes on shutdown, so flush the processors and readers we gave it.
    forceFlush: () =>
      stopped ??
      Promise.all(flushables.map((flushable) => flushable.forceFlush())).then(
        () => undefined,
        (error: unknown) => diag.error('telemetry: flush failed', error),
      ),
    shutdown: () => {
      stopped ??= sdk.shutdown().catch((error: unknown) => diag.error('telemetry: shutdown did not flush everything', error));
      return stopped;
    },
  };
}

function inertHandle(serviceName: string): TelemetryHandle {
  return { serviceName, forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };
}
