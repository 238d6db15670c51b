import { Logger } from '@nestjs/common';
import type { Caller } from '@tollgate/platform';
import { DeploymentSchema, ProviderError } from '@tollgate/providers';
import type { Deployment, DeploymentInput } from '@tollgate/providers';
import { CircuitBreakers } from '../resilience';
import type { ResilienceConfig } from '../resilience';
import { Router, RoutingError } from './router';
import type { RouteRequest } from './router';
import type { RoutingConfig } from './routing.config';

const resilience: ResilienceConfig = {
  breaker: { failureThreshold: 1, halfOpenAfterMs: 30_000 },
  retry: { attemptsPerDeployment: 2, maxTotalAttempts: 6, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 5_000 },
};

const d = (input: Partial<DeploymentInput> & Pick<DeploymentInput, 'id' | 'region'>): Deployment =>
  DeploymentSchema.parse({ provider: 'openai', publicModel: 'openai/gpt-4o', model: 'gpt-4o', ...input });

/** gpt-4o in every region, a cheap economy model, a premium-only model and a long-context pair. */
const deployments: Deployment[] = [
  d({ id: 'gpt-4o-eu', region: 'eu' }),
  d({ id: 'gpt-4o-eu-2', region: 'eu' }),
  d({ id: 'gpt-4o-us', region: 'us' }),
  d({ id: 'gpt-4o-global', region: 'global' }),
  d({ id: 'gpt-4o-mini-us', region: 'us', publicModel: 'openai/gpt-4o-mini', model: 'gpt-4o-mini', priceTier: 'economy' }),
  d({ id: 'gpt-4o-mini-us-std', region: 'us', publicModel: 'openai/gpt-4o-mini', model: 'gpt-4o-mini', priceTier: 'standard' }),
  d({ id: 'o3-us', region: 'us', publicModel: 'openai/o3', model: 'o3', priceTier: 'premium' }),
  d({ id: 'claude-us', region: 'us', provider: 'anthropic', publicModel: 'anthropic/claude', model: 'claude', contextWindow: 200_000 }),
  d({ id: 'claude-1m-us', region: 'us', provider: 'anthropic', publicModel: 'anthropic/claude', model: 'claude-1m', contextWindow: 1_000_000, weight: 1 }),
  d({ id: 'embed-us', region: 'us', publicModel: 'openai/text-embedding-3-small', model: 'text-embedding-3-small', supportsEmbeddings: true, contextWindow: 8_191 }),
];

function makeConfig(overrides: Partial<RoutingConfig> = {}): RoutingConfig {
  return {
    deployments,
    aliases: { 'default-chat': ['openai/gpt-4o-mini', 'openai/gpt-4o'], smart: ['openai/o3'] },
    strategy: 'weighted',
    longContextThresholdTokens: 32_000,
    deploymentsSource: 'TOLLGATE_DEPLOYMENTS',
    resilience,
    ...overrides,
  };
}

const caller = (overrides: Partial<Caller> = {}): Caller => ({
  tenantId: 't1',
  tenantName: 'Acme',
  apiKeyId: 'k1',
  userId: null,
  plan: 'pro',
  region: 'global',
  privacyMode: 'metadata',
  ...overrides,
});

const request = (overrides: Partial<RouteRequest> = {}): RouteRequest => ({
  caller: caller(),
  requestedModel: 'openai/gpt-4o',
  operation: 'chat',
  promptTokens: 100,
  ...overrides,
});

/** Opens a deployment's breaker (threshold 1 in these tests). */
async function trip(breakers: CircuitBreakers, deployment: Deployment): Promise<void> {
  await breakers.execute(deployment, () => Promise.reject(new ProviderError('down', 'server_error', { status: 503 }))).catch(() => undefined);
}

function refusal(fn: () => unknown): RoutingError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RoutingError) return error;
    throw error;
  }
  throw new Error('expected the route to be refused');
}

const byId = (id: string): Deployment => deployments.find((x) => x.id === id) as Deployment;
const ids = (list: readonly Deployment[]): string[] => list.map((x) => x.id);

describe('Router', () => {
  let breakers: CircuitBreakers;
  let router: Router;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    jest.useFakeTimers();
    breakers = new CircuitBreakers(resilience);
    router = new Router(makeConfig(), breakers);
  });

  afterEach(() => {
    breakers.onModuleDestroy();
    jest.useRealTimers();
  });

  describe('settled plans', () => {
    // o3 has one deployment (o3-us, premium) that a pro US caller may use: one possible plan.
    const o3 = (overrides: Partial<RouteRequest> = {}): RouteRequest => request({ requestedModel: 'openai/o3', caller: caller({ region: 'us' }), ...overrides });

    it('hands out the same plan again for a route with one possible outcome, as a fresh router would make it', () => {
      const first = router.plan(o3());
      const again = router.plan(o3({ promptTokens: 7 }));
      expect(again.decision).toBe(first.decision);
      expect(again.candidates).toBe(first.candidates);
      expect(again.promptTokens).toBe(7);
      const fresh = new Router(makeConfig(), breakers).plan(o3({ promptTokens: 7 }));
      expect(again).toEqual(fresh);
      expect(Object.isFrozen(again.decision) && Object.isFrozen(again.candidates) && Object.isFrozen(again.decision.candidates)).toBe(true);
      // Another caller region or plan is another route.
      expect(() => router.plan(o3({ caller: caller({ region: 'us', plan: 'free' }) }))).toThrow(RoutingError);
      expect(router.plan(o3({ caller: caller({ region: 'global' }) })).decision).not.toBe(first.decision);
    });

    it('routes afresh once the breaker is not closed, or the prompt no longer fits', async () => {
      const first = router.plan(o3());
      const tooLong = refusal(() => router.plan(o3({ promptTokens: 127_000, maxOutputTokens: 2_000 })));
      expect(tooLong.getResponse()).toMatchObject({ error: { code: 'context_length_exceeded' } });
      await trip(breakers, byId('o3-us'));
      expect(refusal(() => router.plan(o3())).getResponse()).toMatchObject({ error: { code: 'no_healthy_deployment' } });
      jest.advanceTimersByTime(30_000);
      const probe = router.plan(o3());
      expect(probe.decision).not.toBe(first.decision);
      expect(probe.decision.rule).toBe('health');
      expect(probe.decision.reason).toContain('half-open, tried last: o3-us');
    });

    it('keeps no plan that chance or health chose', async () => {
      // gpt-4o for a global caller: three deployments in weighted order.
      expect(router.plan(request()).decision).not.toBe(router.plan(request()).decision);
      await trip(breakers, byId('gpt-4o-us'));
      const us = request({ caller: caller({ region: 'us' }) });
      expect(router.plan(us).decision).not.toBe(router.plan(us).decision);
    });
  });

  describe('aliases', () => {
    it('expands an alias to its models in order of preference, and says so', () => {
      const plan = router.plan(request({ requestedModel: 'default-chat', caller: caller({ region: 'us' }) }));
      expect(ids(plan.candidates.slice(0, 2)).sort()).toEqual(['gpt-4o-mini-us', 'gpt-4o-mini-us-std']);
      expect(ids(plan.candidates.slice(2)).sort()).toEqual(['gpt-4o-global', 'gpt-4o-us']);
      expect(plan.decision.rule).toMatch(/^alias\+region\+/);
      expect(plan.decision.reason).toContain('default-chat is an alias for openai/gpt-4o-mini, openai/gpt-4o');
      expect(plan.decision.candidates).toHaveLength(4);
    });

    it('refuses an unknown model with 404 model_not_found', () => {
      const error = refusal(() => router.plan(request({ requestedModel: 'openai/gpt-9' })));
      expect(error.getStatus()).toBe(404);
      expect(error.getResponse()).toMatchObject({ error: { type: 'not_found_error', code: 'model_not_found', param: 'model' } });
    });
  });

  describe('region and compliance', () => {
    it('serves an EU tenant only from EU deployments', () => {
      const plan = router.plan(request({ caller: caller({ region: 'eu' }) }));
      expect(ids(plan.candidates).sort()).toEqual(['gpt-4o-eu', 'gpt-4o-eu-2']);
      expect(plan.decision).toMatchObject({ region: 'eu', rule: 'region+weighted', policyVersion: null });
      expect(plan.decision.reason).toContain('EU data residency');
    });

    it('never sends an EU tenant to a US or global deployment, even when every EU deployment is down', async () => {
      await trip(breakers, byId('gpt-4o-eu'));
      await trip(breakers, byId('gpt-4o-eu-2'));
      const error = refusal(() => router.plan(request({ caller: caller({ region: 'eu' }) })));
      expect(error.getStatus()).toBe(503);
      expect(error.getResponse()).toMatchObject({ error: { type: 'server_error', code: 'no_healthy_deployment' } });
      expect(error.message).toContain('Every EU deployment');
      expect(error.message).toContain('never sent outside the EU');
      expect(error.decision).toMatchObject({ deployment: null, region: 'eu', candidates: ['gpt-4o-eu', 'gpt-4o-eu-2'] });
      expect(error.decision?.rule).toBe('region+health');
    });

    it('lets a US tenant fall back to the global deployment when the US one is down', async () => {
      await trip(breakers, byId('gpt-4o-us'));
      const plan = router.plan(request({ caller: caller({ region: 'us' }) }));
      expect(ids(plan.candidates)).toEqual(['gpt-4o-global']);
      expect(plan.decision.rule).toBe('region+health');
      expect(plan.decision.reason).toContain('breaker open: gpt-4o-us');
      expect(plan.decision.candidates).toEqual(['gpt-4o-global', 'gpt-4o-us']);
    });

    it('refuses a model with no EU deployment to an EU tenant with 403 region_unavailable', () => {
      const error = refusal(() => router.plan(request({ requestedModel: 'anthropic/claude', caller: caller({ region: 'eu' }) })));
      expect(error.getStatus()).toBe(403);
      expect(error.getResponse()).toMatchObject({ error: { type: 'permission_error', code: 'region_unavailable', param: 'model' } });
      expect(error.message).toContain('No EU deployment serves `anthropic/claude`');
    });

    it('offers a half-open deployment as the last resort, after the healthy ones', async () => {
      await trip(breakers, byId('gpt-4o-eu'));
      jest.advanceTimersByTime(30_000);
      const plan = router.plan(request({ caller: caller({ region: 'eu' }) }));
      expect(ids(plan.candidates)).toEqual(['gpt-4o-eu-2', 'gpt-4o-eu']);
      expect(plan.decision.reason).toContain('half-open, tried last: gpt-4o-eu');
    });
  });

  describe('plan tier', () => {
    it('gives a free caller only the economy deployments of a model that has them', () => {
      const plan = router.plan(request({ requestedModel: 'openai/gpt-4o-mini', caller: caller({ plan: 'free', region: 'us' }) }));
      expect(ids(plan.candidates)).toEqual(['gpt-4o-mini-us']);
      // A US caller loses nothing to the region rule here (every gpt-4o-mini runs in the US), so it is not named.
      expect(plan.decision.rule).toBe('plan_tier');
    });

    it('lets a free caller use a standard-only model, and a pro caller every tier', () => {
      expect(ids(router.plan(request({ caller: caller({ plan: 'free', region: 'us' }) })).candidates).sort()).toEqual(['gpt-4o-global', 'gpt-4o-us']);
      expect(router.plan(request({ requestedModel: 'openai/gpt-4o-mini', caller: caller({ plan: 'pro', region: 'us' }) })).candidates).toHaveLength(2);
    });

    it('refuses a premium-only model to a free caller with 403 plan_not_allowed', () => {
      for (const requestedModel of ['openai/o3', 'smart']) {
        const error = refusal(() => router.plan(request({ requestedModel, caller: caller({ plan: 'free' }) })));
        expect(error.getStatus()).toBe(403);
        expect(error.getResponse()).toMatchObject({ error: { type: 'permission_error', code: 'plan_not_allowed' } });
      }
    });
  });

  describe('prompt length', () => {
    it('sends a long prompt to the long-context deployment first', () => {
      for (let i = 0; i < 20; i++) {
        const plan = router.plan(request({ requestedModel: 'anthropic/claude', promptTokens: 50_000 }));
        expect(ids(plan.candidates)).toEqual(['claude-1m-us', 'claude-us']);
        expect(plan.decision.rule).toBe('long_context+weighted');
      }
    });

    it('drops deployments whose window is too small for prompt + max output', () => {
      const plan = router.plan(request({ requestedModel: 'anthropic/claude', promptTokens: 190_000, maxOutputTokens: 20_000 }));
      expect(ids(plan.candidates)).toEqual(['claude-1m-us']);
      expect(plan.decision.rule).toBe('context_window');
    });

    it('refuses a prompt too long for every deployment with 400 context_length_exceeded', () => {
      const error = refusal(() => router.plan(request({ promptTokens: 127_000, maxOutputTokens: 4_000 })));
      expect(error.getStatus()).toBe(400);
      expect(error.getResponse()).toMatchObject({ error: { type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages' } });
      expect(error.message).toContain("maximum context length is 128000 tokens. However, you requested about 131000 tokens (127000 in the messages, 4000 in the completion)");
    });
  });

  describe('operation', () => {
    it('routes embeddings only to deployments that serve them', () => {
      expect(ids(router.plan(request({ requestedModel: 'openai/text-embedding-3-small', operation: 'embeddings' })).candidates)).toEqual(['embed-us']);
      const error = refusal(() => router.plan(request({ operation: 'embeddings' })));
      expect(error.getStatus()).toBe(400);
      expect(error.getResponse()).toMatchObject({ error: { code: 'model_not_supported' } });
    });
  });

  describe('choice among healthy deployments', () => {
    it('follows the weights over 10,000 plans', () => {
      const weighted = [
        d({ id: 'w-heavy', region: 'global', weight: 6 }),
        d({ id: 'w-mid', region: 'global', weight: 3 }),
        d({ id: 'w-light', region: 'global', weight: 1 }),
        d({ id: 'w-standby', region: 'global', weight: 0 }),
      ];
      const weightedRouter = new Router(makeConfig({ deployments: weighted, aliases: {} }), breakers);
      const firsts = new Map<string, number>();
      for (let i = 0; i < 10_000; i++) {
        const plan = weightedRouter.plan(request());
        firsts.set(plan.candidates[0].id, (firsts.get(plan.candidates[0].id) ?? 0) + 1);
        expect(plan.candidates[3].id).toBe('w-standby');
      }
      // Expected 6000 / 3000 / 1000; bounds are ~10 standard deviations wide, so this never flakes.
      expect(firsts.get('w-heavy')).toBeGreaterThan(5_500);
      expect(firsts.get('w-heavy')).toBeLessThan(6_500);
      expect(firsts.get('w-mid')).toBeGreaterThan(2_550);
      expect(firsts.get('w-mid')).toBeLessThan(3_450);
      expect(firsts.get('w-light')).toBeGreaterThan(700);
      expect(firsts.get('w-light')).toBeLessThan(1_300);
      expect(firsts.get('w-standby')).toBeUndefined();
    });

    it('prefers the fastest deployment under least-latency, after measuring the unmeasured', () => {
      const fleet = [d({ id: 'slow', region: 'global' }), d({ id: 'fast', region: 'global' }), d({ id: 'new', region: 'global' })];
      const latencyRouter = new Router(makeConfig({ deployments: fleet, aliases: {}, strategy: 'least-latency' }), breakers);
      for (let i = 0; i < 5; i++) {
        latencyRouter.recordLatency('slow', 900);
        latencyRouter.recordLatency('fast', 120);
      }
      const first = latencyRouter.plan(request());
      expect(ids(first.candidates)).toEqual(['new', 'fast', 'slow']);
      expect(first.decision.rule).toBe('least_latency');

      latencyRouter.recordLatency('new', 400);
      expect(ids(latencyRouter.plan(request()).candidates)).toEqual(['fast', 'new', 'slow']);
      // One slow call does not flip the order: the average moves 20 % of the way.
      latencyRouter.recordLatency('fast', 1_500);
      expect(latencyRouter.latencyOf('fast')).toBeCloseTo(396, 0);
      expect(ids(latencyRouter.plan(request()).candidates)[0]).toBe('fast');
    });
  });

  describe('modelsFor', () => {
    it('lists the models and aliases the caller region and plan allow', () => {
      expect(router.modelsFor(caller({ region: 'eu' }))).toEqual(['openai/gpt-4o', 'default-chat']);
      expect(router.modelsFor(caller({ region: 'us', plan: 'free' }))).toEqual([
        'anthropic/claude',
        'openai/gpt-4o',
        'openai/gpt-4o-mini',
        'openai/text-embedding-3-small',
        'default-chat',
      ]);
      expect(router.modelsFor(caller({ region: 'global', plan: 'enterprise' }))).toContain('smart');
    });
  });

  describe('estimatePromptTokens', () => {
    it('counts exactly from the lowest limit of the catalog (here the 8,191-token embeddings window)', () => {
      const text = 'The quarterly report shows steady growth across all regions. '.repeat(300);
      const estimate = router.estimatePromptTokens([{ content: text }]);
      // ~18 KB of prose: bytes / 2 exceeds 8,191, so this is the tokenizer's count, not bytes / 4.
      expect(estimate).not.toBe(Math.ceil(Buffer.byteLength(text) / 4) + 7);
      expect(estimate).toBeGreaterThan(3_000);
      expect(estimate).toBeLessThan(4_500);
    });
  });
});
