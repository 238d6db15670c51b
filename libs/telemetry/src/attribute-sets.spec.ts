import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { Attributes } from '@opentelemetry/api';
import { AttributeSets, DerivedAttributeSets, memoizeFrozenAttributeHashes } from './attribute-sets';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK module whose hash is memoized
const sdkUtils = require('@opentelemetry/sdk-metrics/build/src/utils') as { hashAttributes(attributes: Attributes): string };

/** A frozen attribute set that counts how often its one attribute is read. */
function countingSet(): { set: Attributes; reads: () => number } {
  let reads = 0;
  const set = Object.freeze(Object.defineProperty({}, 'gen_ai.request.model', { enumerable: true, get: () => (reads++, 'gpt-4o') })) as Attributes;
  return { set, reads: () => reads };
}

describe('AttributeSets', () => {
  it('builds one frozen set per key and hands the same one back', () => {
    const sets = new AttributeSets();
    const build = jest.fn(() => ({ model: 'a' }));
    const first = sets.get('a', build);
    expect(sets.get('a', build)).toBe(first);
    expect(build).toHaveBeenCalledTimes(1);
    expect(Object.isFrozen(first)).toBe(true);
    expect(sets.get('b', () => ({ model: 'b' }))).toEqual({ model: 'b' });
  });

  it('starts over once it holds its limit of distinct sets', () => {
    const sets = new AttributeSets(2);
    const a = sets.get('a', () => ({ k: 'a' }));
    sets.get('b', () => ({ k: 'b' }));
    sets.get('c', () => ({ k: 'c' })); // clears, then keeps c
    const again = sets.get('a', () => ({ k: 'a' }));
    expect(again).toEqual(a);
    expect(again).not.toBe(a);
  });
});

describe('DerivedAttributeSets', () => {
  it('derives once per frozen base, and afresh for a base that is not frozen', () => {
    const input = new DerivedAttributeSets({ 'gen_ai.token.type': 'input' });
    const base = Object.freeze({ 'gen_ai.request.model': 'm' });
    const derived = input.of(base);
    expect(derived).toEqual({ 'gen_ai.request.model': 'm', 'gen_ai.token.type': 'input' });
    expect(input.of(base)).toBe(derived);
    expect(Object.isFrozen(derived)).toBe(true);
    const plain = { 'gen_ai.request.model': 'm' };
    expect(input.of(plain)).toEqual(derived);
    expect(input.of(plain)).not.toBe(input.of(plain));
  });
});

describe('memoizeFrozenAttributeHashes', () => {
  it('hashes a frozen set once, with the hash the SDK computes, and other sets every time', () => {
    const original = sdkUtils.hashAttributes;
    const before = countingSet();
    original(before.set);
    original(before.set);
    expect(before.reads()).toBe(2); // the SDK reads every attribute on every hash

    expect(memoizeFrozenAttributeHashes()).toBe(true);
    expect(memoizeFrozenAttributeHashes()).toBe(false); // once per process
    const after = countingSet();
    const hash = sdkUtils.hashAttributes(after.set);
    expect(sdkUtils.hashAttributes(after.set)).toBe(hash);
    expect(after.reads()).toBe(1);
    expect(hash).toBe(original({ 'gen_ai.request.model': 'gpt-4o' }));
    const plain = { b: 2, a: 1 };
    expect(sdkUtils.hashAttributes(plain)).toBe(original(plain));
    plain.a = 3;
    expect(sdkUtils.hashAttributes(plain)).toBe(original({ a: 3, b: 2 }));
  });

  it('lets interned and plain equal sets land on one data point', async () => {
    memoizeFrozenAttributeHashes();
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const histogram = provider.getMeter('spec').createHistogram('spec.duration');
    const sets = new AttributeSets();
    const interned = () => sets.get('chat|m', () => ({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' }));
    histogram.record(1, interned());
    histogram.record(2, interned());
    histogram.record(4, { 'gen_ai.request.model': 'm', 'gen_ai.operation.name': 'chat' });
    histogram.record(8, { 'gen_ai.request.model': 'other', 'gen_ai.operation.name': 'chat' });
    await reader.forceFlush();
    const points = exporter.getMetrics()[0].scopeMetrics[0].metrics[0];
    expect(points.dataPointType).toBe(DataPointType.HISTOGRAM);
    const byModel = Object.fromEntries(points.dataPoints.map((p) => [p.attributes['gen_ai.request.model'], (p.value as { count: number; sum: number }).sum]));
    expect(byModel).toEqual({ m: 7, other: 8 });
    await provider.shutdown();
  });
});
