import { diag } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';

/** Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface PrometheusPage {
  contentType: string;
  body: string;
}

let reader: PrometheusExporter | undefined;
const serializer = new PrometheusSerializer();

/**
 * The pull reader behind GET /metrics. It never opens its own port (preventServerStart): the
 * service's HTTP server serves the page, so there is one port to expose and secure.
 */
export function createPrometheusReader(): PrometheusExporter {
  reader = new PrometheusExporter({ preventServerStart: true });
  return reader;
}

/** The current metrics as Prometheus text; an empty page when telemetry is not running. */
export async function renderPrometheusMetrics(): Promise<PrometheusPage> {
  if (!reader) return { contentType: PROMETHEUS_CONTENT_TYPE, body: '' };
  try {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) diag.warn('telemetry: errors while collecting metrics for /metrics', ...errors);
    // Host/process detectors resolve asynchronously; target_info must not read them half-done.
    if (resourceMetrics.resource.asyncAttributesPending) await resourceMetrics.resource.waitForAsyncAttributes?.();
    return { contentType: PROMETHEUS_CONTENT_TYPE, body: serializer.serialize(resourceMetrics) };
  } catch (error) {
    // After shutdown the reader refuses to collect; a scrape then sees an empty page, not a 500.
    diag.warn('telemetry: could not collect metrics for /metrics', error);
    return { contentType: PROMETHEUS_CONTENT_TYPE, body: '' };
  }
}
