import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@tollgate/platform';
import { RoutingEnvSchema, loadRoutingConfig } from './routing.config';

const gpt4oUs = { id: 'openai-gpt-4o-us', provider: 'openai', publicModel: 'openai/gpt-4o', model: 'gpt-4o', region: 'us', apiKeyEnv: 'OPENAI_API_KEY' };
const echoEu = { id: 'mock-echo-eu', provider: 'mock', publicModel: 'mock/echo', model: 'echo', region: 'eu' };

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadRoutingConfig', () => {
  it('falls back to built-in mock deployments in every region and a default-chat alias', () => {
    const config = loadRoutingConfig({});
    expect(config.deploymentsSource).toBe('built-in defaults');
    expect(config.deployments.map((d) => [d.id, d.publicModel, d.region, d.priceTier])).toEqual([
      ['mock-echo-global', 'mock/echo', 'global', 'economy'],
      ['mock-echo-eu', 'mock/echo', 'eu', 'economy'],
      ['mock-echo-us', 'mock/echo', 'us', 'economy'],
      ['mock-echo-large-global', 'mock/echo-large', 'global', 'premium'],
    ]);
    expect(config.deployments.find((d) => d.id === 'mock-echo-large-global')?.contextWindow).toBe(1_000_000);
    expect(config.aliases).toEqual({ 'default-chat': ['mock/echo', 'mock/echo-large'] });
    expect(config).toMatchObject({
      strategy: 'weighted',
      longContextThresholdTokens: 32_000,
      resilience: {
        breaker: { failureThreshold: 5, halfOpenAfterMs: 30_000 },
        retry: { attemptsPerDeployment: 2, maxTotalAttempts: 6, baseDelayMs: 100, maxDelayMs: 2_000, maxRetryAfterMs: 5_000 },
      },
    });
  });

  it('reads deployments, aliases and settings from the environment, applying schema defaults', () => {
    const config = loadRoutingConfig({
      TOLLGATE_DEPLOYMENTS: JSON.stringify([gpt4oUs, echoEu]),
      TOLLGATE_MODEL_ALIASES: JSON.stringify({ 'default-chat': ['openai/gpt-4o', 'mock/echo'] }),
      TOLLGATE_ROUTING_STRATEGY: 'least-latency',
      TOLLGATE_BREAKER_FAILURES: '3',
      TOLLGATE_RETRY_BASE_MS: '1',
      TOLLGATE_RETRY_MAX_MS: '5',
    });
    expect(config.deploymentsSource).toBe('TOLLGATE_DEPLOYMENTS');
    expect(config.deployments[0]).toMatchObject({ ...gpt4oUs, priceTier: 'standard', weight: 1, contextWindow: 128_000 });
    expect(config.aliases).toEqual({ 'default-chat': ['openai/gpt-4o', 'mock/echo'] });
    expect(config.strategy).toBe('least-latency');
    expect(config.resilience.breaker.failureThreshold).toBe(3);
    expect(config.resilience.retry).toMatchObject({ baseDelayMs: 1, maxDelayMs: 5 });
  });

  it('has no aliases when deployments are configured and aliases are not', () => {
    expect(loadRoutingConfig({ TOLLGATE_DEPLOYMENTS: JSON.stringify([gpt4oUs]) }).aliases).toEqual({});
  });

  it('reads deployments from TOLLGATE_DEPLOYMENTS_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-routing-'));
    try {
      const file = join(dir, 'deployments.json');
      writeFileSync(file, JSON.stringify([echoEu]));
      const config = loadRoutingConfig({ TOLLGATE_DEPLOYMENTS_FILE: file });
      expect(config.deploymentsSource).toBe('TOLLGATE_DEPLOYMENTS_FILE');
      expect(config.deployments.map((d) => d.id)).toEqual(['mock-echo-eu']);
      expect(problemsOf(() => loadRoutingConfig({ TOLLGATE_DEPLOYMENTS_FILE: join(dir, 'missing.json') }))).toEqual([
        `TOLLGATE_DEPLOYMENTS_FILE: cannot read "${join(dir, 'missing.json')}" (ENOENT)`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the variable, the entry and the field of a bad deployment', () => {
    const problems = problemsOf(() => loadRoutingConfig({ TOLLGATE_DEPLOYMENTS: JSON.stringify([gpt4oUs, { ...echoEu, region: 'mars' }, { ...echoEu, id: 'Bad Id' }]) }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^TOLLGATE_DEPLOYMENTS: entry 1 \(id "mock-echo-eu"\) region: /);
    expect(problems[1]).toMatch(/^TOLLGATE_DEPLOYMENTS: entry 2 \(id "Bad Id"\) id: must be lowercase/);
    // The JSON itself is not echoed back (it can be long).
    expect(problems[0]).not.toContain('"provider"');
  });

  it('refuses invalid JSON, a non-array, duplicate ids, and both deployment variables at once', () => {
    expect(problemsOf(() => loadRoutingConfig({ TOLLGATE_DEPLOYMENTS: '[{' }))[0]).toMatch(/^TOLLGATE_DEPLOYMENTS: the value is not valid JSON/);
    expect(problemsOf(() => loadRoutingConfig({ TOLLGATE_DEPLOYMENTS: '{}' }))[0]).toMatch(/^TOLLGATE_DEPLOYMENTS: the value must be a JSON array of deployments/);
    expect(problemsOf(() => loadRoutingConfig({ TOLLGATE_DEPLOYMENTS: JSON.stringify([echoEu, echoEu]) }))).toEqual([
      'TOLLGATE_DEPLOYMENTS: entry 1 (id "mock-echo-eu"): id "mock-echo-eu" is already used by entry 0; deployment ids must be unique',
    ]);
    expect(problemsOf(() => loadRoutingConfig({ TOLLGATE_DEPLOYMENTS: JSON.stringify([echoEu]), TOLLGATE_DEPLOYMENTS_FILE: '/etc/tollgate/deployments.json' }))).toEqual([
      'TOLLGATE_DEPLOYMENTS_FILE: set either TOLLGATE_DEPLOYMENTS or TOLLGATE_DEPLOYMENTS_FILE, not both',
    ]);
  });

  it('refuses aliases that name unknown models, clash with a model, or are malformed', () => {
    const deployments = JSON.stringify([gpt4oUs, echoEu]);
    expect(problemsOf(() => loadRoutingConfig({ TOLLGATE_DEPLOYMENTS: deployments, TOLLGATE_MODEL_ALIASES: JSON.stringify({ fast: ['openai/gpt-5'] }) }))).toEqual([
      'TOLLGATE_MODEL_ALIASES: alias "fast" names "openai/gpt-5", which no deployment serves (deployments from TOLLGATE_DEPLOYMENTS serve: mock/echo, openai/gpt-4o)',
    ]);
    expect(problemsOf(() => loadRoutingConfig({ TOLLGATE_DEPLOYMENTS: deployments, TOLLGATE_MODEL_ALIASES: JSON.stringify({ 'mock/echo': ['openai/gpt-4o'] }) }))[0]).toContain(
      'alias "mock/echo" is also a deployment\'s publicModel',
    );
    expect(problemsOf(() => loadRoutingConfig({ TOLLGATE_MODEL_ALIASES: JSON.stringify({ fast: [] }) }))).toEqual([
      'TOLLGATE_MODEL_ALIASES: alias "fast": must list at least one public model',
    ]);
    expect(problemsOf(() => loadRoutingConfig({ TOLLGATE_MODEL_ALIASES: '["mock/echo"]' }))[0]).toMatch(/^TOLLGATE_MODEL_ALIASES: must be a JSON object of alias/);
  });

  it('refuses a bad strategy or number, echoing the value', () => {
    expect(problemsOf(() => loadRoutingConfig({ TOLLGATE_ROUTING_STRATEGY: 'fastest', TOLLGATE_BREAKER_FAILURES: '0' }))).toEqual([
      'TOLLGATE_ROUTING_STRATEGY: must be "weighted" or "least-latency" (got "fastest")',
      'TOLLGATE_BREAKER_FAILURES: must be greater than 0 (got "0")',
    ]);
    expect(problemsOf(() => loadRoutingConfig({ TOLLGATE_RETRY_BASE_MS: '500', TOLLGATE_RETRY_MAX_MS: '100' }))[0]).toContain('must not exceed TOLLGATE_RETRY_MAX_MS');
  });

  it('accepts a config object that already holds the parsed variables (the gateway folds RoutingEnvSchema in)', () => {
    const parsed = RoutingEnvSchema.parse({ TOLLGATE_DEPLOYMENTS: JSON.stringify([gpt4oUs]), TOLLGATE_BREAKER_FAILURES: '7', PORT: '8080' });
    const config = loadRoutingConfig({ ...parsed, PORT: 8080 });
    expect(config.deployments.map((d) => d.id)).toEqual(['openai-gpt-4o-us']);
    expect(config.resilience.breaker.failureThreshold).toBe(7);
  });
});
