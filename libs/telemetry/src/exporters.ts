import { diag } from '@opentelemetry/api';
import { getStringFromEnv, getStringListFromEnv } from '@opentelemetry/core';
import { isDefaultExportSpan, LangfuseSpanProcessor } from '@langfuse/otel';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
// sdk-node keeps its OTEL_* exporter factories internal. Reusing them (not copying them) keeps
// OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_PROTOCOL / OTEL_BSP_* behaving exactly as the SDK
// documents, including http/protobuf and grpc; sdk-node is pinned to one 0.x minor.
import {
  getOtlpMetricExporterFromEnv,
  getPeriodicExportingMetricReaderFromEnv,
  getSpanProcessorsFromEnv,
} from '@opentelemetry/sdk-node/build/src/utils';

const DEFAULT_LANGFUSE_BASE_URL = 'https://cloud.langfuse.com';

function otlpEndpointConfigured(signal: 'TRACES' | 'METRICS'): boolean {
  return getStringFromEnv(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`) !== undefined || getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined;
}

/**
 * Tollgate's batch span processor settings where the operator set none (OTEL_BSP_* still win):
 * export every 64 spans or every second, not the SDK's 512 spans or 5 s. A sampled span waits in
 * the batch until it is exported; at the SDK's defaults it waited long enough to outlive a
 * young-generation collection and be promoted, and 512 spans were serialised in one go on the
 * event loop. In bench:gateway at 1,000 req/s with 10% sampling (docs/benchmarks.md, seventh
 * session), these settings cut the bytes promoted per scavenge from 425–625 KB to 61–133 KB and
 * the event-loop stalls over 5 ms from 6–15 to 3–6 per 30 s, for about five export requests a
 * second instead of one every two seconds.
 */
export const SPAN_BATCH_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64',
  OTEL_BSP_SCHEDULE_DELAY: '1000',
});

/**
 * Span processors for the standard OTEL_* exporter variables, batched as SPAN_BATCH_DEFAULTS says
 * unless OTEL_BSP_* say otherwise.
 *
 * One deviation from the SDK: with OTEL_TRACES_EXPORTER unset *and* no OTLP endpoint, the SDK
 * would export to http://localhost:4318 and log a connection error for every batch. Tollgate
 * exports nothing then; set an endpoint (or OTEL_TRACES_EXPORTER explicitly) to export.
 */
export function traceExportProcessors(): SpanProcessor[] {
  const requested = getStringListFromEnv('OTEL_TRACES_EXPORTER') ?? [];
  if (requested.includes('none')) return [];
  if (requested.length === 0 && !otlpEndpointConfigured('TRACES')) return [];
  const unset = Object.entries(SPAN_BATCH_DEFAULTS).filter(([name]) => getStringFromEnv(name) === undefined);
  // The SDK's processors read OTEL_BSP_* once, as they are built.
  return withEnvironment(Object.fromEntries(unset), () => getSpanProcessorsFromEnv(undefined)); // no SDK self-metrics (OTEL_NODE_EXPERIMENTAL_SDK_METRICS)
}

/**
 * An OTLP push reader when OTEL_METRICS_EXPORTER lists `otlp`. Prometheus (GET /metrics) is always
 * on and is the default, so a traces-only collector (Jaeger) is not sent metrics it rejects.
 */
export function otlpMetricReaders(): IMetricReader[] {
  const requested = getStringListFromEnv('OTEL_METRICS_EXPORTER') ?? [];
  for (const name of requested) {
    if (!['otlp', 'prometheus', 'none'].includes(name)) diag.warn(`telemetry: OTEL_METRICS_EXPORTER value "${name}" is not supported (otlp, prometheus, none)`);
  }
  if (!requested.includes('otlp')) return [];
  return [getPeriodicExportingMetricReaderFromEnv(getOtlpMetricExporterFromEnv())];
}

/** Variables that configure the operator's collector connection and must not reach Langfuse. */
const COLLECTOR_ONLY_VARIABLES = ['HEADERS', 'CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE'].flatMap((name) => [
  `OTEL_EXPORTER_OTLP_${name}`,
  `OTEL_EXPORTER_OTLP_TRACES_${name}`,
]);

/** Sets each variable, or removes it where the value is undefined. */
function putEnvironment(values: Iterable<readonly [string, string | undefined]>): void {
  for (const [name, value] of values) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/**
 * Runs `build` with these variables set (undefined: removed) and puts the environment back as it
 * was afterwards. For SDK parts that read the environment once, as they are built.
 */
function withEnvironment<T>(changes: Readonly<Record<string, string | undefined>>, build: () => T): T {
  const saved = Object.keys(changes).map((name) => [name, process.env[name]] as const);
  putEnvironment(Object.entries(changes));
  try {
    return build();
  } finally {
    putEnvironment(saved);
  }
}

/**
 * Langfuse's processor builds an OTLP exporter that also merges OTEL_EXPORTER_OTLP_*HEADERS and
 * TLS client files from the environment, which would send the collector's credentials to
 * Langfuse. They are read once, at construction, so hide them for that moment.
 */
function withoutCollectorVariables<T>(build: () => T): T {
  return withEnvironment(Object.fromEntries(COLLECTOR_ONLY_VARIABLES.map((name) => [name, undefined])), build);
}

/**
 * Langfuse export when LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY are set (LANGFUSE_BASE_URL,
 * default Langfuse Cloud). Langfuse's processor posts OTLP/HTTP JSON to
 * {baseUrl}/api/public/otel/v1/traces with Basic auth.
 */
export function langfuseProcessor(): SpanProcessor | undefined {
  const publicKey = getStringFromEnv('LANGFUSE_PUBLIC_KEY');
  const secretKey = getStringFromEnv('LANGFUSE_SECRET_KEY');
  if (publicKey === undefined && secretKey === undefined) return undefined;
  if (publicKey === undefined || secretKey === undefined) {
    diag.warn('telemetry: Langfuse export is off: set both LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY');
    return undefined;
  }
  const baseUrl = (getStringFromEnv('LANGFUSE_BASE_URL') ?? DEFAULT_LANGFUSE_BASE_URL).replace(/\/+$/, '');
  return withoutCollectorVariables(
    () =>
      new LangfuseSpanProcessor({
        publicKey,
        secretKey,
        baseUrl,
        // Langfuse asks direct OTel exporters to declare ingestion v4; @langfuse/otel 5.11 does not send it.
        additionalHeaders: { 'x-langfuse-ingestion-version': '4' },
        // Langfuse's documented default, stated here on purpose: only LLM spans (any gen_ai.*
        // attribute, or a known LLM scope) go to Langfuse. HTTP, pg and Kafka spans stay with the
        // collector; the processor marks the first exported span of a trace as its root.
        shouldExportSpan: ({ otelSpan }) => isDefaultExportSpan(otelSpan),
      }),
  );
}
