import { medianOutcome } from './held-rate-search';
import type { LoadResult } from './protocol';
import { latencyVerdicts, renderLatencySection, workFloorComparisons } from './report';
import type { LatencyRun, TargetName, TargetReport } from './report';
import { percentiles } from './rounds';

function stream(firstBytes: number[], errors = 0): LoadResult {
  return {
    type: 'result',
    id: 1,
    scheduled: firstBytes.length + errors,
    ok: firstBytes.length,
    errors,
    errorSamples: errors ? ['HTTP 502'] : [],
    latency: percentiles(firstBytes.map((ms) => ms + 0.1)),
    firstByte: percentiles(firstBytes),
    sendLag: percentiles([0.1]),
    maxInFlight: 2,
    queued: 0,
    connectionsOpened: 0,
    achievedRate: 100,
    generatorCpuShare: 0.1,
  };
}

function targetWith(name: TargetName, streams: Array<[rate: number, result: LoadResult]>): TargetReport {
  return { name, fixed: [], probes: [], maxHeld: undefined, streams: streams.map(([rate, result]) => ({ rate, result })), rss: [] };
}

function run(targets: TargetReport[], streamRates: number[]): LatencyRun {
  return {
    command: 'npm run bench:gateway',
    startedAt: new Date(0),
    quick: false,
    rates: [1000],
    warmupSeconds: 2,
    durationSeconds: 8,
    rounds: 3,
    searchSeconds: 3,
    streamRates,
    jitWarmupSeconds: 20,
    referenceRate: 1000,
    p99LimitMs: 20,
    machine: { cpus: 2, cpuModel: 'test', memoryGiB: 1, kernel: 'test', node: 'v24', commit: 'test', loadAtStart: [0, 0, 0], loadAtEnd: [0, 0, 0], kdamonds: [] },
    gatewaySetup: 'test',
    targets,
    notes: [],
  };
}

const firstByteRows = (verdicts: ReturnType<typeof latencyVerdicts>): ReturnType<typeof latencyVerdicts> => verdicts.filter((v) => v.goal.startsWith('streaming first-byte'));

describe('latencyVerdicts: streaming first byte', () => {
  it('judges the first-byte target at each streaming rate, against the upstream at that rate', () => {
    const upstream = targetWith('upstream', [
      [100, stream([1.0, 1.0, 1.1])],
      [1000, stream([0.8, 0.8, 0.9])],
    ]);
    const gateway = targetWith('gateway', [
      [100, stream([2.4, 2.4, 2.5])],
      [1000, stream([1.6, 1.6, 1.7])],
    ]);
    const rows = firstByteRows(latencyVerdicts(run([upstream, gateway], [100, 1000])));
    expect(rows.map((row) => [row.goal, row.verdict])).toEqual([
      ['streaming first-byte overhead p50 under 1 ms (gateway vs upstream direct, 100 req/s)', 'MISS'],
      ['streaming first-byte overhead p50 under 1 ms (gateway vs upstream direct, 1000 req/s)', 'PASS'],
    ]);
    expect(rows[0]!.measured).toBe('2.40 vs 1.00 ms: +1.40 ms');
    expect(rows[1]!.measured).toBe('1.60 vs 0.80 ms: +0.80 ms');
  });

  it('misses a rate whose gateway streams had errors, and leaves a rate without a measurement n/a', () => {
    const upstream = targetWith('upstream', [[1000, stream([0.8])]]);
    const gateway = targetWith('gateway', [[1000, stream([1.0], 3)]]);
    const rows = firstByteRows(latencyVerdicts(run([upstream, gateway], [100, 1000])));
    expect(rows.map((row) => row.verdict)).toEqual(['n/a', 'MISS']);
    expect(rows[1]!.measured).toBe('1.00 vs 0.80 ms: +0.20 ms (3 errors)');
  });
});

describe('held rate over several searches', () => {
  const outcome = (maxHeld: number, maxHeldIsLowerBound = false) => ({ maxHeld, maxHeldIsLowerBound });
  const probe = (rate: number, held: boolean, search: number) => ({ rate, held, search, result: stream([held ? 5 : 40]) });

  function searched(name: TargetName, found: number[], probes: ReturnType<typeof probe>[]): TargetReport {
    const searches = found.map((rate) => outcome(rate));
    return { ...targetWith(name, []), probes, searches, ...medianOutcome(searches)! };
  }

  const floor = searched('floor', [8900, 4150, 6750], [probe(8900, true, 1), probe(4150, true, 2), probe(6200, false, 2), probe(6750, true, 3)]);
  const gateway = searched('gateway', [3600, 4500, 3200], [probe(3600, true, 1), probe(4500, true, 2), probe(3200, true, 3), probe(3600, false, 3)]);

  it('judges the ratio of the medians and says so', () => {
    const row = latencyVerdicts({ ...run([floor, gateway], []), searches: 3 }).find((v) => v.goal.startsWith("gateway's highest rate"))!;
    expect(row.measured).toBe('3600 vs 6750 req/s (medians of 3 and 3 searches): 53.3%');
    expect(row.verdict).toBe('MISS');
  });

  it("marks a lower bound in the verdict as the table does, the gateway's as well as the floor's", () => {
    const unbounded = { ...targetWith('gateway', []), probes: [], maxHeld: 5000, maxHeldIsLowerBound: true };
    const withBound = run([floor, unbounded], []);
    const row = latencyVerdicts(withBound).find((v) => v.goal.startsWith("gateway's highest rate"))!;
    expect(row.measured).toBe('≥ 5000 vs 6750 req/s: 74.1% (a search that found no miss gives a lower bound)');
    expect(renderLatencySection(withBound)).toContain('| ≥ 5000 |');
  });

  it("lists each search's figure and its own probes", () => {
    const section = renderLatencySection({ ...run([floor, gateway], []), searches: 3 });
    expect(section).toContain('- floor: 3 searches held 8900, 4150, 6750 req/s; median 6750');
    expect(section).toContain('  - search 2 (4150): 4150 held (p99 5.10 ms), 6200 missed (p99 40.10 ms)');
    expect(section).toContain('  - search 3 (3200): 3200 held (p99 5.10 ms), 3600 missed (p99 40.10 ms)');
    expect(section).toContain('The floor and the gateway are searched 3 times');
    expect(section).toContain('| highest rate with p99 < 20 ms (req/s), median of 3 searches | 6750 | 3600 |');
  });

  it('keeps the one-search wording for a target searched once', () => {
    const once = { ...targetWith('upstream', []), probes: [{ rate: 3000, held: true, result: stream([1]) }], maxHeld: 3000, maxHeldIsLowerBound: true };
    const section = renderLatencySection({ ...run([once, floor, gateway], []), searches: 3 });
    expect(section).toContain('- upstream probes: 3000 held (p99 1.10 ms)');
    expect(section).toContain('| highest rate with p99 < 20 ms (req/s), median of 3 searches (upstream: one) | ≥ 3000 | 6750 | 3600 |');
  });
});

describe('workFloorComparisons', () => {
  function atReference(name: TargetName, latencies: number[], cpuUsPerRequest: number, maxHeld: number): TargetReport {
    const result = { ...stream(latencies), latency: percentiles(latencies) };
    return { name, fixed: [{ rate: 1000, result, cpuUsPerRequest }], probes: [], maxHeld, streams: [], rss: [] };
  }
  const upstream = atReference('upstream', [1, 1, 1, 2], 50, 12000);
  const floor = atReference('floor', [1.5, 1.5, 1.5, 3], 150, 8000);
  const workFloor = atReference('work-floor', [1.6, 1.6, 1.6, 4], 200, 6000);
  const gateway = atReference('gateway', [1.8, 1.8, 1.8, 6], 300, 4500);

  it('compares the gateway with the work floor, and the work floor with the floor, at the reference rate', () => {
    expect(workFloorComparisons(run([upstream, floor, workFloor, gateway], [100]))).toEqual([
      { comparison: "gateway's added p50 over the work floor's (1000 req/s)", measured: '0.80 vs 0.60 ms: +0.20 ms' },
      { comparison: "gateway's added p99 / the work floor's (1000 req/s)", measured: '4.00 vs 2.00 ms: 2.00×' },
      { comparison: "work floor's added p99 / the floor's (1000 req/s)", measured: '2.00 vs 1.00 ms: 2.00×' },
      { comparison: "gateway's highest rate with p99 < 20 ms / the work floor's", measured: '4500 vs 6000 req/s: 75.0%' },
      { comparison: "work floor's highest rate with p99 < 20 ms / the floor's", measured: '6000 vs 8000 req/s: 75.0%' },
      { comparison: 'CPU per request at 1000 req/s, gateway / work floor', measured: '300 vs 200 µs: 1.50×' },
      { comparison: 'CPU per request at 1000 req/s, work floor / floor', measured: '200 vs 150 µs: 1.33×' },
    ]);
  });

  it('is empty without a work floor, and the section says nothing of one then', () => {
    const without = run([upstream, floor, gateway], [100]);
    expect(workFloorComparisons(without)).toEqual([]);
    expect(renderLatencySection(without)).not.toContain('work floor');
    expect(renderLatencySection(run([upstream, floor, workFloor, gateway], [100]))).toContain('### Against the work floor');
  });

  it('leaves the issue verdicts to the floor: a work floor changes none of them', () => {
    const verdicts = (targets: TargetReport[]): string[] => latencyVerdicts(run(targets, [100])).map((v) => `${v.goal}: ${v.measured} ${v.verdict}`);
    expect(verdicts([upstream, floor, workFloor, gateway])).toEqual(verdicts([upstream, floor, gateway]));
  });
});
