import { PriceCatalog, costOf } from './index';
import type { ModelPrice } from './index';

const base: ModelPrice = {
  provider: 'p',
  model: 'm',
  input: '3.00',
  output: '15.00',
  cachedRead: '0.30',
  cacheWrite: '3.75',
  reasoning: null,
  version: 'v1',
  effectiveFrom: '2026-01-01T00:00:00Z',
  source: 'test',
};

describe('costOf', () => {
  it('prices uncached input, cache reads, cache writes and output separately, exactly', () => {
    // 1000 input of which 200 cache-read and 100 cache-write; 500 output.
    // 700*3 + 200*0.30 + 100*3.75 + 500*15 = 2100 + 60 + 375 + 7500 = 10035 micro-dollars
    const cost = costOf({ inputTokens: 1000, outputTokens: 500, cachedReadTokens: 200, cacheWriteTokens: 100, reasoningTokens: 0 }, base);
    expect(cost).toEqual({ usd: '0.010035', priceVersion: 'v1' });
  });

  it('keeps sub-micro-dollar precision instead of rounding to float noise', () => {
    // 7 tokens at $0.15/M = 1.05 micro-dollars
    const cost = costOf({ inputTokens: 7, outputTokens: 0, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, { ...base, input: '0.15' });
    expect(cost.usd).toBe('0.00000105');
  });

  it('bills cache traffic at the input rate when the model has no cache prices', () => {
    const cost = costOf(
      { inputTokens: 100, outputTokens: 0, cachedReadTokens: 40, cacheWriteTokens: 10, reasoningTokens: 0 },
      { ...base, cachedRead: null, cacheWrite: null },
    );
    expect(cost.usd).toBe('0.0003');
  });

  it('bills reasoning tokens at their own rate only when the model has one', () => {
    const usage = { inputTokens: 0, outputTokens: 100, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 60 };
    expect(costOf(usage, base).usd).toBe('0.0015');
    expect(costOf(usage, { ...base, reasoning: '20' }).usd).toBe('0.0018'); // 40*15 + 60*20 = 1800
  });

  it('refuses usage whose cached tokens exceed input tokens', () => {
    expect(() => costOf({ inputTokens: 1, outputTokens: 0, cachedReadTokens: 2, cacheWriteTokens: 0, reasoningTokens: 0 }, base)).toThrow(RangeError);
  });
});

describe('PriceCatalog', () => {
  it('ships prices for the mock models and leaves unknown models unpriced', () => {
    const catalog = PriceCatalog.starter();
    expect(catalog.find('mock', 'echo')?.input).toBe('1.00');
    expect(catalog.find('mock', 'nope')).toBeUndefined();
  });
});
