import { formatPhase, latencyByPhase, pairedDifference, parsePhase, parseSampleRuns } from './alternate';
import type { Phase } from './alternate';

function phase(variant: 'A' | 'B', main: number, rate = 1000): Phase {
  return { variant, requests: rate * 4, rate, main, process: main + 10 };
}

describe('alternate (A/B inside one gateway process)', () => {
  it('reads back the phase lines it writes', () => {
    const written = phase('B', 412.34);
    const line = `2026-12-07T00:45:30.100Z linger:20,100 ${formatPhase(written)}`;
    expect(parsePhase(line)).toEqual({ ...written, main: 412.3, process: 422.3 });
    expect(parsePhase('2026-12-07T00:45:30.100Z some other line')).toBeUndefined();
  });

  it('compares each B phase with the mean of the A phases either side, and leaves out phases off the rate', () => {
    // Drift upwards by 20 µs per phase; B costs 5 µs less than the A around it.
    const phases = [phase('A', 400), phase('B', 415), phase('A', 440), phase('B', 455), phase('A', 480), phase('B', 700, 2000), phase('A', 520)];
    const paired = pairedDifference(phases, 1000);
    expect(paired.difference.main.n).toBe(2);
    expect(paired.difference.main.mean).toBeCloseTo(-5, 10);
    expect(paired.difference.main.se).toBeCloseTo(0, 10);
    expect(paired.difference.process.mean).toBeCloseTo(-5, 10);
    // The plain means keep the drift (and the 2,000 req/s phase is in neither).
    expect(paired.a).toEqual({ main: 460, process: 470, phases: 4 });
    expect(paired.b).toEqual({ main: 435, process: 445, phases: 2 });
  });

  it('gives the spread of the paired differences as a standard error', () => {
    const phases = [phase('A', 400), phase('B', 390), phase('A', 400), phase('B', 410), phase('A', 400)];
    const { main } = pairedDifference(phases, 1000).difference;
    expect(main.mean).toBeCloseTo(0, 10);
    // Differences -10 and +10: standard deviation 14.14, standard error 10.
    expect(main.se).toBeCloseTo(10, 10);
  });

  it('reads back the wall-clock span of a phase, and lines written without one', () => {
    const written = { ...phase('A', 400), startEpochMs: 1_765_000_000_000, endEpochMs: 1_765_000_004_000 };
    expect(parsePhase(`x linger:20,100 ${formatPhase(written)}`)).toEqual(written);
    expect(parsePhase('x linger:20,100 A requests=4000 rate=1000 main=400.0 process=410.0')).toEqual(phase('A', 400));
  });

  it('gives each phase the p50 and p99 of the client latencies scheduled inside its span, and pairs them', () => {
    const start = 1_765_000_000_000;
    // 1,000 req/s for 12 s: 2 ms in the first and last 4 s, 3 ms in the middle, one 9 ms request per phase.
    const samples = Array.from({ length: 12_000 }, (_, i) => (i % 4000 === 17 ? 9 : i >= 4000 && i < 8000 ? 3 : 2));
    const runs = parseSampleRuns(
      [
        JSON.stringify({ target: 'floor', rate: 1000, startEpochMs: start, samples: samples.map(() => 50) }),
        JSON.stringify({ target: 'gateway', rate: 1000, startEpochMs: start, samples }),
        JSON.stringify({ target: 'gateway', rate: 1000, samples: samples.map(() => 70) }),
      ].join('\n'),
    );
    expect(runs).toHaveLength(1);
    const phases: Phase[] = ['A', 'B', 'A'].map((variant, k) => ({ ...phase(variant as 'A' | 'B', 400), startEpochMs: start + k * 4000, endEpochMs: start + (k + 1) * 4000 }));
    const withLatency = latencyByPhase(phases, runs);
    expect(withLatency.map((p) => [p.p50, p.p99])).toEqual([
      [2, 2],
      [3, 3],
      [2, 2],
    ]);
    const paired = pairedDifference(withLatency, 1000);
    expect(paired.difference.p50).toEqual({ mean: 1, se: NaN, n: 1 });
    expect([paired.a.p50, paired.b.p50]).toEqual([2, 3]);
  });

  it('leaves latency out of a phase the samples cover less than 90% of, or with a failed request', () => {
    const start = 1_765_000_000_000;
    const runs = parseSampleRuns(JSON.stringify({ target: 'gateway', rate: 1000, startEpochMs: start + 1000, samples: Array.from({ length: 11_000 }, (_, i) => (i === 5000 ? null : 2)) }));
    const phases: Phase[] = [0, 1, 2].map((k) => ({ ...phase('A', 400), startEpochMs: start + k * 4000, endEpochMs: start + (k + 1) * 4000 }));
    // Phase 1 starts 1 s before the samples (75% covered); phase 2 holds the failure; phase 3 is whole.
    const withLatency = latencyByPhase(phases, runs);
    expect(withLatency.map((p) => p.p50)).toEqual([undefined, undefined, 2]);
    const paired = pairedDifference(withLatency, 1000);
    expect(paired.difference.p50).toBeUndefined();
    expect(paired.a.p50).toBe(2);
  });
});
