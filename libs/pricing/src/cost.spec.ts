import { costOf, estimateMaxCost } from './cost';
import type { ModelPrice } from './price';

const base: ModelPrice = {
  provider: 'p',
  model: 'm',
  effectiveFrom: '2026-01-01T00:00:00Z',
  input: '3.00',
  output: '15.00',
  cachedRead: '0.30',
  cacheWrite: '3.75',
  reasoning: null,
  batchInput: '1.50',
  batchOutput: '7.50',
  contextWindow: 200_000,
  maxOutputTokens: 64_000,
  source: 'test',
  sourceDate: null,
  version: 'v1',
  origin: 'default',
};

const usage = (u: Partial<Parameters<typeof costOf>[0]>) => ({ inputTokens: 0, outputTokens: 0, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, ...u });

describe('costOf', () => {
  it('prices uncached input, cache reads, cache writes and output separately, exactly', () => {
    // 1000 input of which 200 cache-read and 100 cache-write; 500 output.
    // 700*3 + 200*0.30 + 100*3.75 + 500*15 = 2100 + 60 + 375 + 7500 = 10035 micro-dollars
    expect(costOf(usage({ inputTokens: 1000, outputTokens: 500, cachedReadTokens: 200, cacheWriteTokens: 100 }), base)).toEqual({ usd: '0.010035', priceVersion: 'v1' });
  });

  it('keeps sub-micro-dollar precision instead of rounding to float noise', () => {
    // 7 tokens at $0.15/M = 1.05 micro-dollars
    expect(costOf(usage({ inputTokens: 7 }), { ...base, input: '0.15' }).usd).toBe('0.00000105');
  });

  it('bills cache traffic at the input rate when the model has no cache prices', () => {
    expect(costOf(usage({ inputTokens: 100, cachedReadTokens: 40, cacheWriteTokens: 10 }), { ...base, cachedRead: null, cacheWrite: null }).usd).toBe('0.0003');
  });

  it('bills reasoning tokens at their own rate only when the model has one', () => {
    const u = usage({ outputTokens: 100, reasoningTokens: 60 });
    expect(costOf(u, base).usd).toBe('0.0015');
    expect(costOf(u, { ...base, reasoning: '20' }).usd).toBe('0.0018'); // 40*15 + 60*20 = 1800
  });

  it('bills the batch rates when asked, and the normal rates when the model has none', () => {
    // 1000*1.50 + 100*7.50 = 2250 micro-dollars
    expect(costOf(usage({ inputTokens: 1000, outputTokens: 100 }), base, { batch: true }).usd).toBe('0.00225');
    expect(costOf(usage({ inputTokens: 1000, outputTokens: 100 }), { ...base, batchInput: null, batchOutput: null }, { batch: true }).usd).toBe('0.0045');
  });

  it('refuses usage whose cached tokens exceed input tokens or reasoning exceeds output', () => {
    expect(() => costOf(usage({ inputTokens: 1, cachedReadTokens: 2 }), base)).toThrow(RangeError);
    expect(() => costOf(usage({ outputTokens: 1, reasoningTokens: 2 }), base)).toThrow(RangeError);
  });

  it('prices a zero-token call at exactly zero (a priced $0 is not the same as unpriced)', () => {
    expect(costOf(usage({}), base).usd).toBe('0');
  });
});

describe('estimateMaxCost', () => {
  it('assumes no cache hit and every allowed output token, at the dearest output rate', () => {
    // 2000*3 + 1000*15 = 21000 micro-dollars
    expect(estimateMaxCost({ inputTokens: 2000, maxOutputTokens: 1000 }, base)).toEqual({ maxUsd: '0.021', inputUsd: '0.006', maxOutputUsd: '0.015', priceVersion: 'v1' });
    // A reasoning rate above the output rate bounds the output: 1000*20 = 20000
    expect(estimateMaxCost({ inputTokens: 0, maxOutputTokens: 1000 }, { ...base, reasoning: '20' }).maxUsd).toBe('0.02');
  });

  it('is never below the real cost of a call within the same limits', () => {
    const real = costOf(usage({ inputTokens: 2000, cachedReadTokens: 1500, cacheWriteTokens: 500, outputTokens: 1000, reasoningTokens: 900 }), { ...base, cacheWrite: '3.75' });
    const bound = estimateMaxCost({ inputTokens: 2000, maxOutputTokens: 1000 }, base);
    expect(Number(real.usd)).toBeLessThanOrEqual(Number(bound.maxUsd));
  });
});
