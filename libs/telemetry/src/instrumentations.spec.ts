import { ROOT_CONTEXT, context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import { isTelemetryExport, isUntracedPath, tollgateInstrumentations } from './instrumentations';

describe('isUntracedPath', () => {
  it.each(['/healthz', '/readyz', '/metrics', '/metrics?name[]=x', '/healthz/'])('leaves %s untraced', (url) => {
    expect(isUntracedPath(url)).toBe(true);
  });

  it.each(['/', '/v1/chat/completions', '/metricsx', '/api/v1/healthz', undefined])('traces %s', (url) => {
    expect(isUntracedPath(url)).toBe(false);
  });
});

describe('isTelemetryExport', () => {
  const manager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });

  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('is true for a request sent with tracing suppressed, as the SDK sends its exports', () => {
    expect(context.with(suppressTracing(ROOT_CONTEXT), isTelemetryExport)).toBe(true);
  });

  it('is what the HTTP instrumentation asks before it instruments an outgoing request', () => {
    const instrumentations = tollgateInstrumentations();
    for (const instrumentation of instrumentations) instrumentation.disable();
    const [http] = instrumentations;
    expect(http.instrumentationName).toBe('@opentelemetry/instrumentation-http');
    expect((http.getConfig() as { ignoreOutgoingRequestHook?: unknown }).ignoreOutgoingRequestHook).toBe(isTelemetryExport);
  });

  it('is false for the service\'s own requests', () => {
    expect(isTelemetryExport()).toBe(false);
    expect(context.with(ROOT_CONTEXT, isTelemetryExport)).toBe(false);
  });
});
