import { attributeTail, parsePauses, slowByPhase } from './pauses';
import type { Pause } from './pauses';
import type { SampleRun } from './alternate';

const START = 1_796_600_000_000;

/** 1,000 requests at 1,000 req/s, 1 ms each, except those scheduled at the given indices (10 ms). */
function run(slowAt: readonly number[]): SampleRun {
  const samples = Array.from({ length: 1000 }, (_, i) => (slowAt.includes(i) ? 10 : 1));
  return { rate: 1000, startEpochMs: START, samples };
}

describe('pauses (the slow requests against the gateway pauses)', () => {
  it('counts, per kind of pause, how many slow and how many of all requests were in flight during one', () => {
    // Ten slow requests (the most that leaves the nearest-rank p99 of 1,000 at a fast one): six sent
    // at 500–505 ms, in flight during a 10 ms produce at 502 ms; four at 900–903 ms, during nothing.
    const pauses: Pause[] = [
      { kind: 'kafka', start: START + 502, duration: 10 },
      { kind: 'otlp', start: START + 100.2, duration: 0.5 },
      { kind: 'otlp', start: START + 300.2, duration: 0.5 },
      // Before the run: left out.
      { kind: 'gc-scavenge', start: START - 500, duration: 2 },
    ];
    const report = attributeTail(pauses, run([500, 501, 502, 503, 504, 505, 900, 901, 902, 903]));
    expect(report).toMatchObject({ requests: 1000, threshold: 1, slow: 10 });
    expect(report.kinds.map((k) => k.kind)).toEqual(['kafka', 'otlp']);
    const [kafka, otlp] = report.kinds;
    expect(kafka!.slowShare).toBeCloseTo(0.6, 10);
    expect(otlp!.slowShare).toBe(0);
    expect(report.slowWithNone).toBeCloseTo(0.4, 10);
    // In flight during the produce: the six slow ones, and the fast ones sent at 506–511 ms (the one
    // sent at 501 ms is slow; a fast one sent at 512 ms starts as the produce ends).
    expect(kafka!.allShare).toBeCloseTo(12 / 1000, 10);
    // Each export, the request sent in its millisecond.
    expect(otlp!.allShare).toBeCloseTo(2 / 1000, 10);
    expect(otlp!).toMatchObject({ count: 2, duration: { p50: 0.5, max: 0.5 } });
    // The run spans 1,000 ms, from the first send to the last answer.
    expect(kafka!.busyShare).toBeCloseTo(10 / 1000, 10);
    expect(kafka!.perSecond).toBeCloseTo(1, 10);
  });

  it('finds no slow request when more than a hundredth of them are as slow as the p99', () => {
    const report = attributeTail([{ kind: 'kafka', start: START + 502, duration: 10 }], run(Array.from({ length: 11 }, (_, i) => 500 + i)));
    expect(report).toMatchObject({ threshold: 10, slow: 0, slowWithNone: 1 });
  });

  it('counts the slow requests by their phase in a period', () => {
    // Nine slow requests sent 80–82 ms into each of the run's first three 100 ms.
    const slowAt = [80, 81, 82, 180, 181, 182, 280, 281, 282];
    expect(slowByPhase(run(slowAt), 100)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 9, 0]);
    // START is a whole multiple of 500 ms: 80, 180 and 280 ms fall in the second, fourth and sixth tenths.
    expect(slowByPhase(run(slowAt), 500)).toEqual([0, 3, 0, 3, 0, 3, 0, 0, 0, 0]);
  });

  it('reads back the lines the preload writes', () => {
    const text = '{"kind":"kafka","start":1796600000502.125,"duration":1.31}\n\n{"kind":"gc-scavenge","start":1796600000900,"duration":0.8}\n';
    expect(parsePauses(text)).toEqual([
      { kind: 'kafka', start: 1796600000502.125, duration: 1.31 },
      { kind: 'gc-scavenge', start: 1796600000900, duration: 0.8 },
    ]);
  });
});
