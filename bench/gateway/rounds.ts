import type { LoadResult, Percentiles } from './protocol';

/** Nearest-rank percentiles of the finite values. */
export function percentiles(values: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(values).filter(Number.isFinite).sort();
  const count = sorted.length;
  if (count === 0) return { count, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const at = (q: number): number => sorted[Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1))] ?? NaN;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { count, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[count - 1] ?? NaN, mean: sum / count };
}

/**
 * One result for several measured rounds of the same target at the same rate (each run with
 * `keepSamples`): the latency percentiles, and the first-byte ones of streams, are taken over
 * every round's requests together, as if it were one window spread over the run's minutes.
 * Counts add up; for the generator's health the worst round stands (send lag, in flight, CPU share).
 */
export function poolRounds(rounds: readonly LoadResult[]): LoadResult {
  const [first] = rounds;
  if (!first) throw new Error('poolRounds needs at least one round');
  const samples: number[] = [];
  const stream = first.firstByte !== undefined;
  const firstByteSamples: number[] = [];
  for (const round of rounds) {
    if (!round.samples) throw new Error(`round ${round.id} kept no latency samples (LoadJob.keepSamples)`);
    if ((round.firstByte !== undefined) !== stream) throw new Error('poolRounds pools rounds of one kind: streams and JSON calls mixed');
    if (stream && !round.firstByteSamples) throw new Error(`stream round ${round.id} kept no first-byte samples (LoadJob.keepSamples)`);
    for (const value of round.samples) samples.push(value);
    for (const value of round.firstByteSamples ?? []) firstByteSamples.push(value);
  }
  const worst = (pick: (round: LoadResult) => number): LoadResult => rounds.reduce((a, b) => (pick(b) > pick(a) ? b : a));
  const sum = (pick: (round: LoadResult) => number): number => rounds.reduce((total, round) => total + pick(round), 0);
  const scheduled = sum((r) => r.scheduled);
  const ok = sum((r) => r.ok);
  return {
    type: 'result',
    id: first.id,
    scheduled,
    ok,
    errors: sum((r) => r.errors),
    errorSamples: [...new Set(rounds.flatMap((r) => r.errorSamples))].slice(0, 5),
    latency: percentiles(samples),
    ...(stream ? { firstByte: percentiles(firstByteSamples), firstByteSamples } : {}),
    sendLag: worst((r) => r.sendLag.p99).sendLag,
    maxInFlight: Math.max(...rounds.map((r) => r.maxInFlight)),
    queued: sum((r) => r.queued),
    connectionsOpened: sum((r) => r.connectionsOpened),
    // Requests per second of measured time: the rounds' measured seconds add up.
    achievedRate: ok / sum((r) => (r.achievedRate > 0 ? r.ok / r.achievedRate : 0)),
    generatorCpuShare: Math.max(...rounds.map((r) => r.generatorCpuShare)),
    samples,
  };
}
