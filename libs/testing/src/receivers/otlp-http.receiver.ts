import type { IncomingHttpHeaders } from 'node:http';
import { JsonPostReceiver } from './json-post-receiver';
import type { Refusal } from './json-post-receiver';
import { decodeMetrics, decodeTraces } from './otlp-json';
import type { ReceivedMetric, ReceivedSpan } from './otlp-json';

const TRACES = '/v1/traces';
const METRICS = '/v1/metrics';

/**
 * Stands in for an OpenTelemetry collector: POST /v1/traces and /v1/metrics in OTLP/HTTP JSON.
 * Point an exporter at it with OTEL_EXPORTER_OTLP_ENDPOINT=<url> and
 * OTEL_EXPORTER_OTLP_PROTOCOL=http/json; protobuf is refused with 415.
 */
export class OtlpHttpReceiver extends JsonPostReceiver {
  constructor() {
    super([TRACES, METRICS], 'OTLP receiver');
  }

  protected refuse(_path: string, _headers: IncomingHttpHeaders): Refusal {
    return undefined;
  }

  spans(): ReceivedSpan[] {
    return this.requests()
      .filter((request) => request.path === TRACES)
      .flatMap((request) => decodeTraces(request.body));
  }

  /** Every metric of every export (a periodic reader re-sends cumulative values). */
  metrics(): ReceivedMetric[] {
    return this.requests()
      .filter((request) => request.path === METRICS)
      .flatMap((request) => decodeMetrics(request.body));
  }

  /** Waits until at least `count` spans matching `filter` arrived; returns those spans. */
  async waitForSpans(count: number, options: { filter?: (span: ReceivedSpan) => boolean; timeoutMs?: number } = {}): Promise<ReceivedSpan[]> {
    const matching = (): ReceivedSpan[] => this.spans().filter(options.filter ?? (() => true));
    await this.until(
      () => matching().length >= count,
      options.timeoutMs ?? 10_000,
      () => `expected ${count} spans, got ${matching().length}`,
    );
    return matching();
  }

  /** Waits until a metric with this name arrived; returns all its exports. */
  async waitForMetric(name: string, options: { timeoutMs?: number } = {}): Promise<ReceivedMetric[]> {
    const named = (): ReceivedMetric[] => this.metrics().filter((metric) => metric.name === name);
    await this.until(
      () => named().length > 0,
      options.timeoutMs ?? 10_000,
      () => `no metric ${name} (got ${[...new Set(this.metrics().map((metric) => metric.name))].join(', ') || 'none'})`,
    );
    return named();
  }
}
