import { appendFileSync, readFileSync } from 'node:fs';
import { subscribe } from 'node:diagnostics_channel';
import { join, resolve } from 'node:path';

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
 * Variants (BENCH_ALTERNATE):
 * - `linger:<a>,<b>`: the Kafka publisher's linger in ms (KAFKA_LINGER_MS) in A and in B;
 * - `sampling`: A samples as configured, B samples nothing (what the sampled share costs);
 * - `flag`: `globalThis.benchAlternateB` is true in B phases, for a change tried out as a
 *   temporary edit of the built code (`if (globalThis.benchAlternateB) ...`; rebuild after).
 *
 * Each phase (BENCH_ALTERNATE_PHASE_MS, default 4,000) appends one line to BENCH_ALTERNATE_OUT:
 * the variant, requests started, their rate, and CPU per request of the main thread
 * (/proc/self/task/<pid>/schedstat, the scheduler's own nanoseconds, not tick samples) and of
 * the whole process (process.cpuUsage()).
 */

export interface Phase {
  variant: 'A' | 'B';
  requests: number;
  rate: number;
  /** Main thread CPU per request, µs. */
  main: number;
  /** Whole process CPU per request, µs. */
  process: number;
}

/** What each phase measures, µs per request. */
type Measure = 'main' | 'process';

/** A variant's mean over its phases, µs per request. */
export type VariantMean = Record<Measure, number> & { phases: number };

export interface Paired {
  a: VariantMean;
  b: VariantMean;
  /** B minus the mean of the A phases either side of it, over the B phases with both neighbours at the rate. */
  difference: Record<Measure, Estimate>;
}

export interface Estimate {
  mean: number;
  /** Standard error of the mean. */
  se: number;
  n: number;
}

export function formatPhase(phase: Phase): string {
  return `${phase.variant} requests=${phase.requests} rate=${phase.rate.toFixed(0)} main=${phase.main.toFixed(1)} process=${phase.process.toFixed(1)}`;
}

export function parsePhase(line: string): Phase | undefined {
  const match = /\b(A|B) requests=(\d+) rate=(\d+) main=([\d.]+) process=([\d.]+)/.exec(line);
  if (!match) return undefined;
  return { variant: match[1] as 'A' | 'B', requests: Number(match[2]), rate: Number(match[3]), main: Number(match[4]), process: Number(match[5]) };
}

function estimate(values: number[]): Estimate {
  const n = values.length;
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  const variance = n > 1 ? values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1) : NaN;
  return { mean, se: Math.sqrt(variance / n), n };
}

/** Phases at `rate` (within 1%) only: the warm-ups, the held-rate search and the gaps between runs are left out. */
export function pairedDifference(phases: readonly Phase[], rate: number): Paired {
  const atRate = (phase: Phase): boolean => Math.abs(phase.rate - rate) <= rate * 0.01;
  // Each B phase with an A phase at the rate on either side.
  const triples = phases.slice(1, -1).flatMap((b, i) => {
    const [before, after] = [phases[i]!, phases[i + 2]!];
    return b.variant === 'B' && before.variant === 'A' && after.variant === 'A' && atRate(before) && atRate(b) && atRate(after) ? [{ before, b, after }] : [];
  });
  const paired = (measure: Measure): Estimate => estimate(triples.map(({ before, b, after }) => b[measure] - (before[measure] + after[measure]) / 2));
  const meanOf = (variant: 'A' | 'B'): VariantMean => {
    const chosen = phases.filter((p) => atRate(p) && p.variant === variant);
    const average = (measure: Measure): number => chosen.reduce((sum, p) => sum + p[measure], 0) / chosen.length;
    return { main: average('main'), process: average('process'), phases: chosen.length };
  };
  return { a: meanOf('A'), b: meanOf('B'), difference: { main: paired('main'), process: paired('process') } };
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
      const phase: Phase = { variant, requests: served, rate: served / ((now.at - last.at) / 1000), main: (now.main - last.main) / served, process: cpu / served };
      appendFileSync(out, `${new Date().toISOString()} ${spec} ${formatPhase(phase)}\n`);
    }
    last = now;
    variant = variant === 'A' ? 'B' : 'A';
  }, phaseMs).unref();
}

function report(file: string, rate: number): void {
  const phases = readFileSync(file, 'utf8')
    .split('\n')
    .map(parsePhase)
    .filter((phase): phase is Phase => phase !== undefined);
  const { a, b, difference } = pairedDifference(phases, rate);
  const show = (e: Estimate) => `${e.mean >= 0 ? '+' : ''}${e.mean.toFixed(1)} ± ${e.se.toFixed(1)} µs (standard error, ${e.n} B phases)`;
  console.log(`at ${rate} req/s: A main thread ${a.main.toFixed(1)}, process ${a.process.toFixed(1)} µs/request (${a.phases} phases); B ${b.main.toFixed(1)}, ${b.process.toFixed(1)} (${b.phases})`);
  console.log(`B − A, each B phase against the A phases either side: main thread ${show(difference.main)}; process ${show(difference.process)}`);
}

if (require.main === module) {
  const [file, rate] = process.argv.slice(2);
  if (!file || !rate) {
    console.error('usage: node dist/bench-gateway/alternate.js <BENCH_ALTERNATE_OUT file> <rate>');
    process.exit(2);
  }
  report(file, Number(rate));
} else if (process.env['BENCH_ALTERNATE']) {
  startAlternating(process.env['BENCH_ALTERNATE']);
}
