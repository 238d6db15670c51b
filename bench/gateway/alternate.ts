import { appendFileSync, readFileSync } from 'node:fs';
import { subscribe } from 'node:diagnostics_channel';
import { join, resolve } from 'node:path';
import { percentiles } from './rounds';

/**
 * A/B inside one gateway process, for changes too small for separate runs to resolve. Separate
 * runs on this machine differ by ±15% in CPU per request (docs/benchmarks.md); here the two
 * variants take turns every few seconds in the same process, so the machine's drift falls on
 * both alike, and each B phase is compared with the A phases on either side of it.
 *
 * Preloaded into the gateway by bench:gateway (diagnosis only):
 *
 *   BENCH_ALTERNATE=linger:20,100 BENCH_ALTERNATE_OUT=/tmp/alt.log \
 *   BENCH_GATEWAY_NODE_FLAGS="--require $PWD/dist/bench-gateway/alternate.js" \
 *   npm run bench:gateway -- --no-docs --targets gateway --rates 1000 --rounds 1 --duration 80
 *   node dist/bench-gateway/alternate.js /tmp/alt.log 1000
 *
 * With BENCH_SAMPLES_OUT=/tmp/samples.jsonl set for the same run, `node
 * dist/bench-gateway/alternate.js /tmp/alt.log 1000 /tmp/samples.jsonl` also pairs the client's
 * latency: each measured request counts in the phase its scheduled send time falls in (phases
 * carry their wall-clock span), and each phase's p50 and p99 are paired like its CPU.
 *
 * Variants (BENCH_ALTERNATE):
 * - `linger:<a>,<b>`: the Kafka publisher's linger in ms (KAFKA_LINGER_MS) in A and in B;
 * - `sampling`: A samples as configured, B samples nothing (what the sampled share costs);
 * - `flag`: `globalThis.benchAlternateB` is true in B phases, for a change tried out as a
 *   temporary edit of the built code (`if (globalThis.benchAlternateB) ...`; rebuild after).
 *
 * Each phase (BENCH_ALTERNATE_PHASE_MS, default 4,000) appends one line to BENCH_ALTERNATE_OUT:
 * the variant, requests started, their rate, and CPU per request of the main thread
 * (/proc/self/task/<pid>/schedstat, the scheduler's own nanoseconds, not tick samples) and of
 * the whole process (process.cpuUsage()), and its wall-clock span.
 */

export interface Phase {
  variant: 'A' | 'B';
  requests: number;
  rate: number;
  /** Main thread CPU per request, µs. */
  main: number;
  /** Whole process CPU per request, µs. */
  process: number;
  /** Wall-clock span of the phase, ms since the epoch (lines written before it was logged have none). */
  startEpochMs?: number;
  endEpochMs?: number;
  /** The client's latency of the requests scheduled in the phase, ms (see latencyByPhase). */
  p50?: number;
  p99?: number;
}

/** CPU per request, µs, measured in the gateway. */
type CpuMeasure = 'main' | 'process';
/** The client's latency, ms, from the load generator's samples. */
type LatencyMeasure = 'p50' | 'p99';
type Measure = CpuMeasure | LatencyMeasure;
const LATENCY_MEASURES: readonly LatencyMeasure[] = ['p50', 'p99'];

/** A variant's mean over its phases (µs per request), and over those with latencies (ms). */
export type VariantMean = Record<CpuMeasure, number> & Partial<Record<LatencyMeasure, number>> & { phases: number };

export interface Paired {
  a: VariantMean;
  b: VariantMean;
  /** B minus the mean of the A phases either side of it, over the B phases with both neighbours at the rate (latencies where all three had them). */
  difference: Record<CpuMeasure, Estimate> & Partial<Record<LatencyMeasure, Estimate>>;
}

export interface Estimate {
  mean: number;
  /** Standard error of the mean. */
  se: number;
  n: number;
}

export function formatPhase(phase: Phase): string {
  const span = phase.startEpochMs !== undefined && phase.endEpochMs !== undefined ? ` start=${phase.startEpochMs.toFixed(0)} end=${phase.endEpochMs.toFixed(0)}` : '';
  return `${phase.variant} requests=${phase.requests} rate=${phase.rate.toFixed(0)} main=${phase.main.toFixed(1)} process=${phase.process.toFixed(1)}${span}`;
}

export function parsePhase(line: string): Phase | undefined {
  const match = /\b(A|B) requests=(\d+) rate=(\d+) main=([\d.]+) process=([\d.]+)(?: start=(\d+) end=(\d+))?/.exec(line);
  if (!match) return undefined;
  const phase: Phase = { variant: match[1] as 'A' | 'B', requests: Number(match[2]), rate: Number(match[3]), main: Number(match[4]), process: Number(match[5]) };
  if (match[6] !== undefined) {
    phase.startEpochMs = Number(match[6]);
    phase.endEpochMs = Number(match[7]);
  }
  return phase;
}

/** One fixed-rate run's latencies as BENCH_SAMPLES_OUT writes them (main.ts). */
export interface SampleRun {
  rate: number;
  /** When samples[0] was scheduled, ms since the epoch; sample i was scheduled 1000 × i / rate ms later. */
  startEpochMs: number;
  /** ms, NaN (null in the file) for a failed request. */
  samples: number[];
}

/** Whether two rates are the same one (within 1%): a phase's is counted, a run's is scheduled. */
export function sameRate(rate: number, reference: number): boolean {
  return Math.abs(rate - reference) <= reference * 0.01;
}

/**
 * The phases with the p50 and p99 of the client latencies scheduled inside each, from the runs at
 * the phase's rate. A phase gets them only when at least 90% of the requests its rate and span
 * imply were measured (the rest fell in a warm-up or between runs) and none failed.
 */
export function latencyByPhase(phases: readonly Phase[], runs: readonly SampleRun[]): Phase[] {
  return phases.map((phase) => {
    if (phase.startEpochMs === undefined || phase.endEpochMs === undefined) return phase;
    const { startEpochMs: start, endEpochMs: end } = phase;
    const inside: number[] = [];
    let failed = 0;
    for (const run of runs) {
      if (!sameRate(run.rate, phase.rate)) continue;
      const interval = 1000 / run.rate;
      const first = Math.max(0, Math.ceil((start - run.startEpochMs) / interval));
      for (let i = first; i < run.samples.length && run.startEpochMs + i * interval < end; i++) {
        const latency = run.samples[i]!;
        if (Number.isFinite(latency)) inside.push(latency);
        else failed += 1;
      }
    }
    const expected = (phase.rate * (end - start)) / 1000;
    if (failed > 0 || inside.length < expected * 0.9) return phase;
    const { p50, p99 } = percentiles(inside);
    return { ...phase, p50, p99 };
  });
}

/** The gateway's runs in a BENCH_SAMPLES_OUT file (lines written without a start time are left out). */
export function parseSampleRuns(text: string): SampleRun[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { target: string; rate: number; startEpochMs?: number; samples: Array<number | null> })
    .filter((run) => run.target === 'gateway' && run.startEpochMs !== undefined)
    .map((run) => ({ rate: run.rate, startEpochMs: run.startEpochMs!, samples: run.samples.map((v) => (v === null ? NaN : v)) }));
}

function estimate(values: number[]): Estimate {
  const n = values.length;
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  const variance = n > 1 ? values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1) : NaN;
  return { mean, se: Math.sqrt(variance / n), n };
}

/** Phases at `rate` (within 1%) only: the warm-ups, the held-rate search and the gaps between runs are left out. */
export function pairedDifference(phases: readonly Phase[], rate: number): Paired {
  const atRate = (phase: Phase): boolean => sameRate(phase.rate, rate);
  // Each B phase with an A phase at the rate on either side.
  const triples = phases.slice(1, -1).flatMap((b, i) => {
    const [before, after] = [phases[i]!, phases[i + 2]!];
    return b.variant === 'B' && before.variant === 'A' && after.variant === 'A' && atRate(before) && atRate(b) && atRate(after) ? [{ before, b, after }] : [];
  });
  const paired = (measure: Measure): Estimate =>
    estimate(triples.flatMap(({ before, b, after }) => (b[measure] !== undefined && before[measure] !== undefined && after[measure] !== undefined ? [b[measure] - (before[measure] + after[measure]) / 2] : [])));
  const meanOf = (variant: 'A' | 'B'): VariantMean => {
    const chosen = phases.filter((p) => atRate(p) && p.variant === variant);
    // Over the phases that have the measure: all of them for CPU, those the samples covered for latency.
    const average = (measure: Measure): number => {
      const values = chosen.flatMap((p) => (p[measure] === undefined ? [] : [p[measure]]));
      return values.reduce((sum, v) => sum + v, 0) / values.length;
    };
    const mean: VariantMean = { main: average('main'), process: average('process'), phases: chosen.length };
    for (const measure of LATENCY_MEASURES) {
      const value = average(measure);
      if (!Number.isNaN(value)) mean[measure] = value;
    }
    return mean;
  };
  const difference: Paired['difference'] = { main: paired('main'), process: paired('process') };
  for (const measure of LATENCY_MEASURES) {
    const estimated = paired(measure);
    if (estimated.n > 0) difference[measure] = estimated;
  }
  return { a: meanOf('A'), b: meanOf('B'), difference };
}

/** The gateway's built modules the variants reach into. */
const DIST = resolve(__dirname, '..');

/** Runs `apply` with the module at `path` once the gateway has loaded it (it loads after this preload). */
function whenLoaded(path: string, apply: (exports: Record<string, unknown>) => boolean): void {
  const timer = setInterval(() => {
    const loaded = require.cache[path];
    if (loaded && apply(loaded.exports as Record<string, unknown>)) clearInterval(timer);
  }, 20);
  timer.unref();
}

function installVariant(spec: string, isB: () => boolean): void {
  const [kind, args = ''] = spec.split(':');
  if (kind === 'linger') {
    const [a, b] = args.split(',').map(Number);
    if (!Number.isFinite(a) || !Number.isFinite(b)) throw new Error(`BENCH_ALTERNATE=linger:<a>,<b> wants two numbers, got "${args}"`);
    whenLoaded(join(DIST, 'libs/messaging/src/kafka/kafka.publisher.js'), (exports) => {
      const publisher = exports['KafkaEventPublisher'] as { prototype: { send: (this: { lingerMs: number }, messages: unknown) => unknown } } | undefined;
      if (!publisher) return false;
      const send = publisher.prototype.send;
      // lingerMs is read when a batch starts lingering, so the phase's value holds for its batches.
      publisher.prototype.send = function (this: { lingerMs: number }, messages: unknown) {
        this.lingerMs = isB() ? b : a;
        return send.call(this, messages);
      };
      return true;
    });
  } else if (kind === 'sampling') {
    // The SDK the gateway's tracer provider uses (@opentelemetry/sdk-node builds on sdk-trace).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- patched in place, diagnosis only
    const sdk = require('@opentelemetry/sdk-trace') as { TraceIdRatioBasedSampler: { prototype: { shouldSample: (...args: unknown[]) => unknown } } };
    const shouldSample = sdk.TraceIdRatioBasedSampler.prototype.shouldSample;
    sdk.TraceIdRatioBasedSampler.prototype.shouldSample = function (...args: unknown[]) {
      return isB() ? { decision: 0 /* SamplingDecision.NOT_RECORD */ } : shouldSample.apply(this, args);
    };
  } else if (kind === 'flag') {
    Object.defineProperty(globalThis, 'benchAlternateB', { get: isB });
  } else {
    throw new Error(`BENCH_ALTERNATE: unknown variant "${spec}" (linger:<a>,<b>, sampling or flag)`);
  }
}

function startAlternating(spec: string): void {
  const out = process.env['BENCH_ALTERNATE_OUT'] ?? '/tmp/bench-alternate.log';
  const phaseMs = Number(process.env['BENCH_ALTERNATE_PHASE_MS'] ?? 4000);
  let variant: 'A' | 'B' = 'A';
  installVariant(spec, () => variant === 'B');
  let requests = 0;
  subscribe('http.server.request.start', () => {
    requests += 1;
  });
  const mainThreadMicros = (): number => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  let last = { at: performance.now(), main: mainThreadMicros(), cpu: process.cpuUsage(), requests: 0 };
  setInterval(() => {
    const now = { at: performance.now(), main: mainThreadMicros(), cpu: process.cpuUsage(), requests };
    const served = now.requests - last.requests;
    if (served > 0) {
      const cpu = now.cpu.user + now.cpu.system - last.cpu.user - last.cpu.system;
      const phase: Phase = {
        variant,
        requests: served,
        rate: served / ((now.at - last.at) / 1000),
        main: (now.main - last.main) / served,
        process: cpu / served,
        startEpochMs: performance.timeOrigin + last.at,
        endEpochMs: performance.timeOrigin + now.at,
      };
      appendFileSync(out, `${new Date().toISOString()} ${spec} ${formatPhase(phase)}\n`);
    }
    last = now;
    variant = variant === 'A' ? 'B' : 'A';
  }, phaseMs).unref();
}

function report(file: string, rate: number, samplesFile: string | undefined): void {
  let phases = readFileSync(file, 'utf8')
    .split('\n')
    .map(parsePhase)
    .filter((phase): phase is Phase => phase !== undefined);
  if (samplesFile) phases = latencyByPhase(phases, parseSampleRuns(readFileSync(samplesFile, 'utf8')));
  const { a, b, difference } = pairedDifference(phases, rate);
  const show = (e: Estimate, unit: string, digits: number) => `${e.mean >= 0 ? '+' : ''}${e.mean.toFixed(digits)} ± ${e.se.toFixed(digits)} ${unit} (standard error, ${e.n} B phases)`;
  console.log(`at ${rate} req/s: A main thread ${a.main.toFixed(1)}, process ${a.process.toFixed(1)} µs/request (${a.phases} phases); B ${b.main.toFixed(1)}, ${b.process.toFixed(1)} (${b.phases})`);
  console.log(`B − A, each B phase against the A phases either side: main thread ${show(difference.main, 'µs', 1)}; process ${show(difference.process, 'µs', 1)}`);
  if (samplesFile) {
    if (!difference.p50 || !difference.p99) {
      console.log(`client latency: no B phase with both neighbours covered by ${samplesFile} (were BENCH_SAMPLES_OUT and BENCH_ALTERNATE set for the same run?)`);
      return;
    }
    console.log(`client latency: A p50 ${a.p50?.toFixed(3) ?? '–'} ms, p99 ${a.p99?.toFixed(2) ?? '–'} ms; B p50 ${b.p50?.toFixed(3) ?? '–'}, p99 ${b.p99?.toFixed(2) ?? '–'} (means over the phases that have them)`);
    console.log(`B − A: p50 ${show(difference.p50, 'ms', 3)}; p99 ${show(difference.p99, 'ms', 2)}`);
  }
}

if (require.main === module) {
  const [file, rate, samplesFile] = process.argv.slice(2);
  if (!file || !rate) {
    console.error('usage: node dist/bench-gateway/alternate.js <BENCH_ALTERNATE_OUT file> <rate> [<BENCH_SAMPLES_OUT file>]');
    process.exit(2);
  }
  report(file, Number(rate), samplesFile);
} else if (process.env['BENCH_ALTERNATE']) {
  startAlternating(process.env['BENCH_ALTERNATE']);
}
