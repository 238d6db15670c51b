import { context } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { setHttpMeterScope } from './http-server-span';

/** Probe and scrape endpoints: polled every few seconds, a span each would drown real traffic. */
const UNTRACED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export function isUntracedPath(url: string | undefined): boolean {
  if (url === undefined) return false;
  const path = url.split('?', 1)[0] ?? '';
  return UNTRACED_PATHS.has(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
}

/**
 * Whether an outgoing request is the SDK's own export (spans, metrics): the SDK sends those with
 * tracing suppressed. They are not the service's traffic, and instrumented they cost each export a
 * non-recording span, a request whose every listener runs in a bound context, and a point in
 * `http.client.request.duration`: in bench:gateway at 100% sampling (about one export per 16
 * calls), ~9 µs per call of instrumentation-http's own work, ~1 µs per call at 10% sampling
 * (docs/benchmarks.md, sixteenth session).
 */
export function isTelemetryExport(): boolean {
  return isTracingSuppressed(context.active());
}

/**
 * Only what Tollgate uses (not auto-instrumentations-node). Nest 12 handlers get no spans from
 * instrumentation-nestjs-core (it supports Nest < 12); Express gives the route instead.
 */
export function tollgateInstrumentations(): Instrumentation[] {
  const http = new HttpInstrumentation({
    ignoreIncomingRequestHook: (request) => isUntracedPath(request.url),
    ignoreOutgoingRequestHook: isTelemetryExport,
  });
  // Routes served ahead of it (libs/platform FastRoute) record into the same duration instrument.
  setHttpMeterScope(http.instrumentationName, http.instrumentationVersion);
  return [
    http,
    // Middleware spans (body parser, request id, ...) and the router span Nest wraps its handlers in
    // are noise; the request-handler span carries the route (and the server span gets http.route).
    // Every span costs the hot path (bench:gateway): two express spans per call were a third of them.
    new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
    // No root spans for pool housekeeping or pollers; query text only, never parameter values.
    new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    // No kafkajs instrumentation: libs/messaging makes the `send {topic}` and `process {topic}` spans
    // (messaging semconv) and carries each event's own trace context in its headers. The kafkajs
    // instrumentation would add a second producer span per message and overwrite that header with
    // the context active when a coalesced Produce request leaves, i.e. another call's trace.
  ];
}
