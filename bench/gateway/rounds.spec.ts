import type { LoadResult } from './protocol';
import { percentiles, poolRounds } from './rounds';

function round(id: number, samples: number[], extra: Partial<LoadResult> = {}): LoadResult {
  const ok = samples.filter(Number.isFinite).length;
  return {
    type: 'result',
    id,
    scheduled: samples.length,
    ok,
    errors: samples.length - ok,
    errorSamples: samples.length > ok ? [`timeout in round ${id}`] : [],
    latency: percentiles(samples),
    sendLag: percentiles([id, id * 2]),
    maxInFlight: id * 10,
    queued: id,
    connectionsOpened: 1,
    achievedRate: ok / 2, // two measured seconds a round
    generatorCpuShare: id / 10,
    samples,
    ...extra,
  };
}

describe('poolRounds', () => {
  it('takes the percentiles over every round together, not an average of the rounds', () => {
    // 100 calls a round: round 1 all at 1 ms; round 2 has a stall that put 6 calls at 50 ms.
    const calm = Array.from({ length: 100 }, () => 1);
    const stalled = Array.from({ length: 100 }, (_, i) => (i < 6 ? 50 : 2));
    expect(percentiles(stalled).p99).toBe(50);
    const pooled = poolRounds([round(1, calm), round(2, stalled)]);
    // Of 200 calls the 198th-fastest (nearest rank for p99) is one of the six stalled ones.
    expect(pooled.latency).toMatchObject({ count: 200, p50: 1, p99: 50, max: 50 });
    // Six stalled calls of 400 are still 1.5% of them, above the 99th percentile; of 700 they are not.
    const diluted = poolRounds([round(1, calm), round(2, stalled), round(3, calm), round(4, calm)]);
    expect(diluted.latency).toMatchObject({ count: 400, p99: 50 });
    const fiveCalm = poolRounds([round(1, calm), round(2, stalled), ...[3, 4, 5, 6, 7].map((id) => round(id, calm))]);
    expect(fiveCalm.latency.p99).toBe(2);
    expect(fiveCalm.latency.max).toBe(50);
  });

  it('adds up the counts and keeps the worst round of the generator health', () => {
    const failing = [...Array.from({ length: 9 }, () => 3), NaN];
    const pooled = poolRounds([round(1, [1, 2, 3, 4]), round(3, failing), round(2, [5, 6])]);
    expect(pooled).toMatchObject({ scheduled: 16, ok: 15, errors: 1, errorSamples: ['timeout in round 3'], maxInFlight: 30, queued: 6, connectionsOpened: 3, generatorCpuShare: 0.3 });
    expect(pooled.sendLag.p99).toBe(6);
    // 15 calls in 2 + 2 + 2 measured seconds.
    expect(pooled.achievedRate).toBeCloseTo(2.5, 10);
    expect(pooled.latency.count).toBe(15);
    expect(pooled.samples).toHaveLength(16);
  });

  it('pools the first bytes of stream rounds over every round together', () => {
    const stream = (id: number, firstBytes: number[]): LoadResult =>
      round(id, firstBytes.map((v) => v + 1), { firstByte: percentiles(firstBytes), firstByteSamples: firstBytes });
    // Round 1's first bytes are all 1 ms, round 2's all 3 ms: the pooled median is neither round's.
    const pooled = poolRounds([stream(1, [1, 1, 1, 1]), stream(2, [3, 3, 3, 3, 3])]);
    expect(pooled.firstByte).toMatchObject({ count: 9, p50: 3, max: 3 });
    expect(pooled.firstByteSamples).toHaveLength(9);
    expect(pooled.latency).toMatchObject({ count: 9, p50: 4 });
    // A stream that never sent a byte (NaN) is left out of the first-byte figures.
    expect(poolRounds([stream(1, [1, NaN]), stream(2, [2])]).firstByte?.count).toBe(2);
  });

  it('refuses rounds without samples, streams mixed with JSON calls, and nothing at all', () => {
    const bare = round(1, [1]);
    delete bare.samples;
    expect(() => poolRounds([bare])).toThrow(/kept no latency samples/);
    const streamRound = round(2, [1], { firstByte: percentiles([1]), firstByteSamples: [1] });
    expect(() => poolRounds([round(1, [1]), streamRound])).toThrow(/mixed/);
    expect(() => poolRounds([streamRound, round(1, [1])])).toThrow(/mixed/);
    expect(() => poolRounds([round(1, [1], { firstByte: percentiles([1]) })])).toThrow(/no first-byte samples/);
    expect(() => poolRounds([])).toThrow(/at least one round/);
  });
});
