import { PriceCatalog, catalogFromFile, defaultPriceCatalog, modelNameCandidates } from './index';
import type { ModelPrice } from './index';

const entry = (overrides: Partial<ModelPrice>): ModelPrice => ({
  provider: 'openai',
  model: 'm',
  effectiveFrom: '2026-01-01T00:00:00Z',
  input: '1',
  output: '2',
  cachedRead: null,
  cacheWrite: null,
  reasoning: null,
  batchInput: null,
  batchOutput: null,
  contextWindow: null,
  maxOutputTokens: null,
  source: 'test',
  sourceDate: null,
  version: 'v1',
  origin: 'default',
  ...overrides,
});

describe('PriceCatalog', () => {
  it('picks the entry in effect at the call time, and nothing before the first one', () => {
    const catalog = new PriceCatalog('v', [entry({ effectiveFrom: '2026-03-01T00:00:00Z', input: '2' }), entry({ input: '1' })]);
    expect(catalog.find('openai', 'm', new Date('2025-12-31T23:59:59Z'))).toBeUndefined();
    expect(catalog.find('openai', 'm', new Date('2026-02-28T23:59:59Z'))?.input).toBe('1');
    expect(catalog.find('openai', 'm', new Date('2026-03-01T00:00:00Z'))?.input).toBe('2');
  });

  it('lets a later-listed entry with the same effective date correct an earlier one', () => {
    const catalog = new PriceCatalog('v', [entry({ input: '1', version: 'v1' }), entry({ input: '1.1', version: 'v2' })]);
    expect(catalog.find('openai', 'm')?.version).toBe('v2');
  });

  it('matches dated model snapshots to the undated catalog name', () => {
    expect(modelNameCandidates('gpt-4o-2024-08-06')).toEqual(['gpt-4o-2024-08-06', 'gpt-4o']);
    expect(modelNameCandidates('claude-sonnet-4-5-20250929')).toEqual(['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5']);
    expect(modelNameCandidates('gpt-4o')).toEqual(['gpt-4o']);
    const catalog = new PriceCatalog('v', [entry({ model: 'gpt-4o' })]);
    expect(catalog.find('openai', 'gpt-4o-2024-08-06')?.model).toBe('gpt-4o');
  });

  it("consults a tenant's custom prices first and falls back to the default catalog", () => {
    const base = new PriceCatalog('v', [entry({ model: 'a', input: '1' }), entry({ model: 'b', input: '1' })]);
    const tenant = base.withOverrides([entry({ model: 'a', input: '0.5', origin: 'tenant', version: 'tenant@1', effectiveFrom: '2026-06-01T00:00:00Z' })]);
    expect(tenant.find('openai', 'a', new Date('2026-07-01T00:00:00Z'))).toMatchObject({ input: '0.5', origin: 'tenant' });
    // Before the custom price takes effect, the default applies.
    expect(tenant.find('openai', 'a', new Date('2026-05-01T00:00:00Z'))).toMatchObject({ input: '1', origin: 'default' });
    expect(tenant.find('openai', 'b')?.origin).toBe('default');
    expect(tenant.inEffect(new Date('2026-07-01T00:00:00Z')).map((p) => `${p.model}:${p.origin}`)).toEqual(['a:tenant', 'b:default']);
  });

  it('finds the first of several names that has a price (Azure deployment name, then the model the response names)', () => {
    const catalog = new PriceCatalog('v', [entry({ provider: 'azure-openai', model: 'gpt-4o' })]);
    expect(catalog.findAny('azure-openai', ['prod-4o', null, 'gpt-4o-2024-11-20'])?.model).toBe('gpt-4o');
    expect(catalog.findAny('azure-openai', ['prod-4o'])).toBeUndefined();
  });
});

describe('the default catalog', () => {
  const catalog = defaultPriceCatalog();

  it('prices the mock models, current OpenAI, Anthropic and Azure OpenAI models, each with its source and date', () => {
    for (const [provider, model] of [
      ['mock', 'echo'],
      ['mock', 'echo-large'],
      ['openai', 'gpt-5'],
      ['openai', 'gpt-4o-mini'],
      ['openai', 'o3'],
      ['anthropic', 'claude-sonnet-4-5'],
      ['anthropic', 'claude-haiku-4-5'],
      ['azure-openai', 'gpt-4o'],
    ]) {
      const price = catalog.find(provider, model);
      expect({ provider, model, priced: price !== undefined }).toEqual({ provider, model, priced: true });
      expect(price?.source.length).toBeGreaterThan(5);
      expect(price?.sourceDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(catalog.find('mock', 'nope')).toBeUndefined();
  });

  it("keeps o3's price history: the launch price before 2025-06-10, the cut price after", () => {
    expect(catalog.find('openai', 'o3', new Date('2025-05-01T00:00:00Z'))?.input).toBe('10.00');
    expect(catalog.find('openai', 'o3', new Date('2025-07-01T00:00:00Z'))?.input).toBe('2.00');
  });

  it('refuses a catalog file with a float price or too many decimals, naming the entry', () => {
    const file = { version: 'x', currency: 'USD', unit: 'USD per 1,000,000 tokens', about: [], prices: [{ ...entry({}), input: 2.5 }] };
    const { version: _v, origin: _o, ...plain } = entry({});
    expect(() => catalogFromFile(file)).toThrow(/prices\.0\.input/);
    expect(() => catalogFromFile({ ...file, prices: [{ ...plain, input: '0.0000001' }] })).toThrow(/at most 6 decimals/);
  });
});
