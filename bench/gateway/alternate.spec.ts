import { formatPhase, pairedDifference, parsePhase } from './alternate';
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
});
