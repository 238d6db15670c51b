import { TraceFlags, trace } from '@opentelemetry/api';
import type { Span, SpanOptions, Tracer } from '@opentelemetry/api';

/**
 * A span of this process's own that its sampler dropped: not recording, not sampled, and not a
 * remote parent's context (an incoming `traceparent`, whose children the SDK decides anew).
 */
export function isUnsampledLocalSpan(span: Span | undefined): span is Span {
  if (span === undefined || span.isRecording()) return false;
  const spanContext = span.spanContext();
  return spanContext.isRemote !== true && (spanContext.traceFlags & TraceFlags.SAMPLED) === 0;
}

/**
 * `tracer.startActiveSpan(name, options(), fn)`, except under an active span of this process that
 * its sampler dropped: there `fn` runs with that span (not recording: what it sets goes nowhere,
 * its `end()` does nothing). Every sampler the SDK builds from OTEL_TRACES_SAMPLER drops such a
 * child as well: the parent-based ones follow a local unsampled parent, `traceidratio` decides
 * the same for the same trace id, `always_on` would have kept the parent. Starting it anyway cost
 * the gateway new span ids, a sampler call, a context and its attributes per unsampled call (most
 * calls: see otel.samplerArg in helm/tollgate/values.yaml). `options` is a function so that
 * those calls do not build the attributes either.
 */
export function startActiveChildSpan<T>(tracer: Tracer, name: string, options: () => SpanOptions, fn: (span: Span) => T): T {
  const parent = trace.getActiveSpan();
  if (isUnsampledLocalSpan(parent)) return fn(parent);
  return tracer.startActiveSpan(name, options(), fn);
}
