import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ApiKeyDirectory, OpenAiExceptionFilter, PlatformModule } from '@tollgate/platform';
import { ProviderError } from '@tollgate/providers';
import { tenantWithKey } from '@tollgate/testing';
import { CircuitBreakers, InlineRecovery } from '../resilience';
import { Router } from './router';
import { RoutingModule } from './routing.module';
import { loadRoutingConfig } from './routing.config';
import type { CircuitBreakerDto, GatewayRoutesDto } from './gateway-admin.controller';

describe('GatewayAdminController over HTTP', () => {
  let app: INestApplication;
  let baseUrl: string;
  const tenant = tenantWithKey('ten_ops');
  const get = (path: string, key: string | null = tenant.key) => fetch(`${baseUrl}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  beforeAll(async () => {
    const config = loadRoutingConfig({ TOLLGATE_BREAKER_FAILURES: '1' });
    const moduleRef = await Test.createTestingModule({ imports: [PlatformModule, RoutingModule.register(config)] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new OpenAiExceptionFilter());
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    app.get(ApiKeyDirectory).apply(tenant.snapshot);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('provides Router, CircuitBreakers and InlineRecovery to the importing module', () => {
    expect(app.get(Router)).toBeInstanceOf(Router);
    expect(app.get(InlineRecovery)).toBeInstanceOf(InlineRecovery);
    expect(app.get(CircuitBreakers)).toBe(app.get(CircuitBreakers));
  });

  it('requires an API key', async () => {
    const res = await get('/api/v1/gateway/circuit-breakers', null);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'missing_api_key' } });
  });

  it('lists the deployments without secrets, and the aliases', async () => {
    const res = await get('/api/v1/gateway/routes');
    expect(res.status).toBe(200);
    const body = (await res.json()) as GatewayRoutesDto;
    expect(body).toMatchObject({ object: 'gateway.routes', source: 'built-in defaults', strategy: 'weighted', aliases: { 'default-chat': ['mock/echo', 'mock/echo-large'] } });
    expect(body.deployments.find((d) => d.id === 'mock-echo-eu')).toEqual({
      id: 'mock-echo-eu',
      provider: 'mock',
      public_model: 'mock/echo',
      model: 'echo',
      region: 'eu',
      price_tier: 'economy',
      weight: 1,
      context_window: 128_000,
      supports_embeddings: true,
      timeout_ms: 60_000,
      breaker_state: 'closed',
    });
    for (const deployment of body.deployments) expect(Object.keys(deployment)).not.toEqual(expect.arrayContaining(['api_key_env', 'base_url', 'apiKeyEnv', 'baseUrl']));
  });

  it('shows each deployment breaker, with an opened one and its failure', async () => {
    const eu = app.get(Router).catalog.deployments.find((d) => d.id === 'mock-echo-eu');
    if (!eu) throw new Error('mock-echo-eu missing from the defaults');
    await app
      .get(CircuitBreakers)
      .execute(eu, () => Promise.reject(new ProviderError('upstream 503', 'server_error', { status: 503 })))
      .catch(() => undefined);

    const res = await get('/api/v1/gateway/circuit-breakers');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: CircuitBreakerDto[] };
    expect(body.object).toBe('list');
    expect(body.data.map((b) => b.deployment_id)).toEqual(['mock-echo-global', 'mock-echo-eu', 'mock-echo-us', 'mock-echo-large-global']);
    const open = body.data.find((b) => b.deployment_id === 'mock-echo-eu');
    expect(open).toMatchObject({ provider: 'mock', region: 'eu', public_model: 'mock/echo', state: 'open', consecutive_failures: 1 });
    expect(open?.recent_failures).toEqual([{ at: expect.any(String), error_class: 'server_error', status: 503 }]);
    expect(Date.parse(open?.since ?? '')).not.toBeNaN();
    expect(body.data.find((b) => b.deployment_id === 'mock-echo-us')?.state).toBe('closed');
  });
});
