/**
 * Decoding of OTLP/HTTP JSON export requests (traces and metrics) into flat records that tests
 * can assert on. Only the fields Tollgate's tests look at; the raw body is kept alongside.
 */

export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };
export type OtlpAttributes = Record<string, OtlpValue>;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: OtlpAttributes;
  resource: OtlpAttributes;
  scope: { name: string; version: string | undefined };
  status: { code: number; message: string | undefined };
}

export interface ReceivedMetricPoint {
  attributes: OtlpAttributes;
  /** Sum and gauge points. */
  value: number | undefined;
  /** Histogram points. */
  count: number | undefined;
  sum: number | undefined;
  bucketCounts: number[] | undefined;
  explicitBounds: number[] | undefined;
}

export interface ReceivedMetric {
  name: string;
  unit: string | undefined;
  description: string | undefined;
  type: 'sum' | 'gauge' | 'histogram' | 'exponentialHistogram' | 'unknown';
  resource: OtlpAttributes;
  scope: { name: string; version: string | undefined };
  points: ReceivedMetricPoint[];
}

interface AnyValueJson {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number | string;
  bytesValue?: string;
  arrayValue?: { values?: AnyValueJson[] };
  kvlistValue?: { values?: KeyValueJson[] };
}
interface KeyValueJson {
  key: string;
  value?: AnyValueJson;
}
interface ScopeJson {
  name?: string;
  version?: string;
}
interface SpanJson {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  attributes?: KeyValueJson[];
  status?: { code?: number; message?: string };
}
interface PointJson {
  attributes?: KeyValueJson[];
  asInt?: number | string;
  asDouble?: number | string;
  count?: number | string;
  sum?: number | string;
  bucketCounts?: Array<number | string>;
  explicitBounds?: number[];
}
interface MetricJson {
  name?: string;
  unit?: string;
  description?: string;
  sum?: { dataPoints?: PointJson[] };
  gauge?: { dataPoints?: PointJson[] };
  histogram?: { dataPoints?: PointJson[] };
  exponentialHistogram?: { dataPoints?: PointJson[] };
}
interface TracesRequestJson {
  resourceSpans?: Array<{ resource?: { attributes?: KeyValueJson[] }; scopeSpans?: Array<{ scope?: ScopeJson; spans?: SpanJson[] }> }>;
}
interface MetricsRequestJson {
  resourceMetrics?: Array<{ resource?: { attributes?: KeyValueJson[] }; scopeMetrics?: Array<{ scope?: ScopeJson; metrics?: MetricJson[] }> }>;
}

function num(value: number | string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

function decodeValue(value: AnyValueJson | undefined): OtlpValue {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue); // int64 may arrive as a string
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeValue);
  if (value.kvlistValue !== undefined) return decodeAttributes(value.kvlistValue.values);
  return null;
}

export function decodeAttributes(list: KeyValueJson[] | undefined): OtlpAttributes {
  const attributes: OtlpAttributes = {};
  for (const { key, value } of list ?? []) attributes[key] = decodeValue(value);
  return attributes;
}

function decodeScope(scope: ScopeJson | undefined): { name: string; version: string | undefined } {
  return { name: scope?.name ?? '', version: scope?.version };
}

export function decodeTraces(body: unknown): ReceivedSpan[] {
  const request = body as TracesRequestJson;
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = decodeAttributes(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map(
        (span): ReceivedSpan => ({
          traceId: span.traceId ?? '',
          spanId: span.spanId ?? '',
          parentSpanId: span.parentSpanId || undefined,
          name: span.name ?? '',
          kind: span.kind ?? 0,
          attributes: decodeAttributes(span.attributes),
          resource,
          scope: decodeScope(scopeSpans.scope),
          status: { code: span.status?.code ?? 0, message: span.status?.message },
        }),
      ),
    );
  });
}

function decodePoint(point: PointJson): ReceivedMetricPoint {
  return {
    attributes: decodeAttributes(point.attributes),
    value: num(point.asInt ?? point.asDouble),
    count: num(point.count),
    sum: num(point.sum),
    bucketCounts: point.bucketCounts?.map(Number),
    explicitBounds: point.explicitBounds,
  };
}

function metricType(metric: MetricJson): { type: ReceivedMetric['type']; points: PointJson[] } {
  if (metric.sum) return { type: 'sum', points: metric.sum.dataPoints ?? [] };
  if (metric.gauge) return { type: 'gauge', points: metric.gauge.dataPoints ?? [] };
  if (metric.histogram) return { type: 'histogram', points: metric.histogram.dataPoints ?? [] };
  if (metric.exponentialHistogram) return { type: 'exponentialHistogram', points: metric.exponentialHistogram.dataPoints ?? [] };
  return { type: 'unknown', points: [] };
}

export function decodeMetrics(body: unknown): ReceivedMetric[] {
  const request = body as MetricsRequestJson;
  return (request.resourceMetrics ?? []).flatMap((resourceMetrics) => {
    const resource = decodeAttributes(resourceMetrics.resource?.attributes);
    return (resourceMetrics.scopeMetrics ?? []).flatMap((scopeMetrics) =>
      (scopeMetrics.metrics ?? []).map((metric): ReceivedMetric => {
        const { type, points } = metricType(metric);
        return {
          name: metric.name ?? '',
          unit: metric.unit || undefined,
          description: metric.description || undefined,
          type,
          resource,
          scope: decodeScope(scopeMetrics.scope),
          points: points.map(decodePoint),
        };
      }),
    );
  });
}
