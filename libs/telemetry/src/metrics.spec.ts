import { genAiMetrics, tollgateMeter } from './metrics';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheusMetrics } from './prometheus';
import { getTelemetry, startTelemetry } from './start-telemetry';

// In-process on purpose: this file owns the SDK of its Jest worker context. The environment has no
// OTEL_* endpoint, so nothing is exported; /metrics is a pull.
describe('metrics', () => {
  const earlyCounter = tollgateMeter.counter('tollgate.spec.early', { unit: '{call}' });

  afterAll(() => getTelemetry()?.shutdown());

  it('renders an empty page and accepts recordings before startTelemetry', async () => {
    expect(() => {
      earlyCounter.add(5); // no-op: the SDK is not running yet
      genAiMetrics.recordTokenUsage({ inputTokens: 1, outputTokens: 2 });
    }).not.toThrow();
    await expect(renderPrometheusMetrics()).resolves.toEqual({ contentType: PROMETHEUS_CONTENT_TYPE, body: '' });
  });

  it('renders gen_ai.client.token.usage with the GenAI bucket boundaries once started', async () => {
    startTelemetry({ serviceName: 'metrics-spec' });
    genAiMetrics.recordTokenUsage({ inputTokens: 100, outputTokens: 7 }, { 'gen_ai.operation.name': 'chat' });
    genAiMetrics.recordOperationDuration(0.3, { 'gen_ai.operation.name': 'chat' });
    earlyCounter.add(2);
    tollgateMeter.gauge('tollgate.spec.gauge').record(3);
    tollgateMeter.upDownCounter('tollgate.spec.inflight').add(-1);

    const { body } = await renderPrometheusMetrics();
    expect(body).toContain('# TYPE gen_ai_client_token_usage histogram');
    expect(body).toMatch(/gen_ai_client_token_usage_bucket\{[^}]*gen_ai_token_type="input"[^}]*le="64"\} 0/);
    expect(body).toMatch(/gen_ai_client_token_usage_bucket\{[^}]*gen_ai_token_type="input"[^}]*le="256"\} 1/);
    expect(body).toMatch(/gen_ai_client_token_usage_sum\{[^}]*gen_ai_token_type="output"[^}]*\} 7/);
    expect(body).toMatch(/gen_ai_client_operation_duration[a-z_]*_bucket\{[^}]*le="0.32"\} 1/);
    // The counter was declared before the SDK started; only the recording after start counts.
    expect(body).toMatch(/tollgate_spec_early[a-z_]*\{[^}]*\} 2/);
    expect(body).toContain('tollgate_spec_gauge');
    expect(body).toContain('tollgate_spec_inflight');
  });
});
