import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, ValueType, context, metrics, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Histogram, MeterProvider } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions';
import { AttributeSets } from './attribute-sets';
import { tollgateTracer } from './tracer';

/**
 * The HTTP server span and `http.server.request.duration` of a hot route served ahead of
 * instrumentation-http (see libs/platform FastRoute). That instrumentation is generic: per
 * request it computes about fifteen attributes before sampling, binds the request and response
 * emitters to the context (every listener then runs through a context wrapper) and patches
 * `res.end`: about a tenth of the gateway's CPU per chat call at 10% sampling (bench:gateway
 * --profile). This does the same
 * job for one known route with what the HTTP semantic conventions require: the span (named
 * `{method} {route}`, a child of an incoming `traceparent`), and the duration metric under the
 * instrumentation's own scope and instrument, so /metrics keeps one `http.server.request.duration`.
 */

/** Name and version of instrumentation-http's meter, set when the instrumentations are created. */
let httpMeterScope: { name: string; version: string } | undefined;

export function setHttpMeterScope(name: string, version: string): void {
  httpMeterScope = { name, version };
}

// Re-resolved when the global MeterProvider changes (a meter taken before the SDK starts is a no-op forever).
let boundTo: MeterProvider | undefined;
let durationHistogram: Histogram | undefined;

function serverDuration(): Histogram {
  const provider = metrics.getMeterProvider();
  if (durationHistogram === undefined || provider !== boundTo) {
    boundTo = provider;
    // The same descriptor instrumentation-http creates, so the SDK merges both into one instrument.
    durationHistogram = provider.getMeter(httpMeterScope?.name ?? '@opentelemetry/instrumentation-http', httpMeterScope?.version).createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
      description: 'Duration of HTTP server requests.',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] },
    });
  }
  return durationHistogram;
}

/** The duration's attribute sets, one per method, route, protocol version, status and error (interned). */
const durationSets = new AttributeSets();

/**
 * Runs `handler` inside a SERVER span for `route`, continuing the trace of the request's
 * `traceparent`, and ends the span and records the duration when the response closes.
 */
export function traceHttpServerRequest<T>(req: IncomingMessage, res: ServerResponse, route: string, handler: () => T): T {
  const started = performance.now();
  const method = req.method ?? 'GET';
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const span = tollgateTracer().startSpan(`${method} ${route}`, { kind: SpanKind.SERVER }, parent);
  const recording = span.isRecording();
  if (recording) {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    span.setAttributes({
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_HTTP_ROUTE]: route,
      [ATTR_URL_PATH]: query < 0 ? url : url.slice(0, query),
      [ATTR_URL_SCHEME]: 'http',
      [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
    });
    const userAgent = req.headers['user-agent'];
    if (userAgent !== undefined) span.setAttribute(ATTR_USER_AGENT_ORIGINAL, userAgent);
  }
  res.once('close', () => {
    const status = res.statusCode;
    const completed = res.writableFinished;
    // Server errors and responses the client never got whole are errors; 4xx are the client's.
    const errorType = status >= 500 ? String(status) : completed ? undefined : 'aborted';
    const version = req.httpVersion;
    const attributes = durationSets.get(`${method} ${route} ${version} ${status} ${errorType ?? ''}`, () => {
      const set: Attributes = {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_HTTP_ROUTE]: route,
        [ATTR_URL_SCHEME]: 'http',
        [ATTR_NETWORK_PROTOCOL_VERSION]: version,
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
      };
      if (errorType !== undefined) set[ATTR_ERROR_TYPE] = errorType;
      return set;
    });
    if (recording) {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (errorType !== undefined) {
        span.setAttribute(ATTR_ERROR_TYPE, errorType);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
    }
    span.end();
    serverDuration().record((performance.now() - started) / 1000, attributes);
  });
  return context.with(trace.setSpan(parent, span), handler);
}
