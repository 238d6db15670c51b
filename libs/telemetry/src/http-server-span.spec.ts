import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expectEventually } from '@tollgate/testing';
import { traceHttpServerRequest } from './http-server-span';

describe('traceHttpServerRequest', () => {
  const spans = new InMemorySpanExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  let server: Server;
  let url: string;
  /** What the handler saw as the active span, per request. */
  const activeInHandler: Array<string | undefined> = [];

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    metrics.setGlobalMeterProvider(meterProvider);
    server = createServer((req, res) => {
      void traceHttpServerRequest(req, res, '/v1/work', async () => {
        await Promise.resolve();
        activeInHandler.push(trace.getActiveSpan()?.spanContext().spanId);
        const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
        if (status === 0) {
          res.destroy(); // the connection dies before an answer
          return;
        }
        res.statusCode = status;
        res.end('done');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await meterProvider.shutdown();
    trace.disable();
    metrics.disable();
    context.disable();
    propagation.disable();
  });

  beforeEach(() => {
    spans.reset();
    activeInHandler.length = 0;
  });

  it("continues the client's trace with a SERVER span named after the route, active in the handler", async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await fetch(`${url}/v1/work?x=1`, { method: 'POST', headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01`, 'user-agent': 'spec/1.0' } });
    expect(res.status).toBe(200);
    const [span] = await expectEventually(() => {
      const finished = spans.getFinishedSpans();
      expect(finished).toHaveLength(1);
      return finished;
    });
    expect(span.name).toBe('POST /v1/work');
    expect(span.kind).toBe(1); // SERVER
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span.attributes).toEqual({
      'http.request.method': 'POST',
      'http.route': '/v1/work',
      'url.path': '/v1/work',
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
      'user_agent.original': 'spec/1.0',
      'http.response.status_code': 200,
    });
    expect(span.status.code).toBe(0);
    expect(activeInHandler).toEqual([span.spanContext().spanId]);
  });

  it('marks 5xx and responses cut off as errors, 4xx not, and records every request in http.server.request.duration', async () => {
    expect((await fetch(`${url}/v1/work?status=503`, { method: 'POST' })).status).toBe(503);
    expect((await fetch(`${url}/v1/work?status=404`, { method: 'POST' })).status).toBe(404);
    await expect(fetch(`${url}/v1/work?status=0`, { method: 'POST' })).rejects.toThrow();
    const finished = await expectEventually(() => {
      const all = spans.getFinishedSpans();
      expect(all).toHaveLength(3);
      return all;
    });
    const byStatus = (code: number) => finished.find((s) => s.attributes['http.response.status_code'] === code);
    expect(byStatus(503)).toMatchObject({ status: { code: 2 }, attributes: expect.objectContaining({ 'error.type': '503' }) });
    expect(byStatus(404)?.status.code).toBe(0);
    expect(byStatus(404)?.attributes['error.type']).toBeUndefined();
    const aborted = finished.find((s) => s.attributes['error.type'] === 'aborted');
    expect(aborted?.status.code).toBe(2);

    await reader.forceFlush();
    const exported = metricExporter.getMetrics().at(-1)!;
    const histogram = exported.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === 'http.server.request.duration') as HistogramMetricData;
    expect(histogram.descriptor.unit).toBe('s');
    const points = histogram.dataPoints.map((p) => ({ status: p.attributes['http.response.status_code'], route: p.attributes['http.route'], error: p.attributes['error.type'], count: p.value.count }));
    expect(points).toEqual(
      expect.arrayContaining([
        { status: 200, route: '/v1/work', error: undefined, count: 1 },
        { status: 503, route: '/v1/work', error: '503', count: 1 },
        { status: 404, route: '/v1/work', error: undefined, count: 1 },
      ]),
    );
    expect(points.some((p) => p.error === 'aborted')).toBe(true);
  });
});
