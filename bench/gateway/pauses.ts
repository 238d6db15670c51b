import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { parseSampleRuns, sameRate } from './alternate';
import type { SampleRun } from './alternate';
import { percentiles } from './rounds';

/**
 * What the slowest requests of a fixed-rate run had in common with the gateway's own pauses: the
 * moments its main thread was busy with something other than requests, long enough to hold one up.
 *
 * Preloaded into the gateway by bench:gateway (diagnosis only), with the client's samples kept:
 *
 *   BENCH_PAUSES_OUT=/tmp/pauses.jsonl BENCH_SAMPLES_OUT=/tmp/samples.jsonl \
 *   BENCH_GATEWAY_NODE_FLAGS="--require $PWD/dist/bench-gateway/pauses.js" \
 *   npm run bench:gateway -- --no-docs --targets gateway --rates 1000 --rounds 1 --duration 40
 *   node dist/bench-gateway/pauses.js /tmp/pauses.jsonl /tmp/samples.jsonl 1000
 *
 * The preload logs, in wall-clock time (ms since the epoch), each
 * - `gc-*`: garbage collection pause (the `gc` performance entries: scavenge, mark-compact, ...);
 * - `kafka`: Produce request, from kafkajs' `sendBatch` being called to the end of the socket write
 *   of its request to the broker: one stretch of the main thread (checked once: an immediate set at
 *   `sendBatch` ran after the write in 503 of 504 requests), in which the records are encoded;
 * - `otlp`: span export, the synchronous part of the OTLP exporter's `export` (serialisation and
 *   the request's start).
 *
 * The report takes the requests slower than the run's p99 and says, per kind of pause, how many of
 * them were in flight while one ran, against how many of all requests were: a kind the slow ones
 * meet far more often than the rest is in the tail. That is what they met, not what made them
 * slow: halving the Produce pauses, which 28–63% of the slow requests met, left the p99 where it
 * was in an A/B (docs/benchmarks.md, eighteenth session); an A/B says what a pause costs. Requests
 * that met none were held up elsewhere (the other processes, the machine). It also counts the slow requests by their send time's phase
 * in a period (100 and 500 ms), which shows pauses of something periodic the preload does not see.
 */

/** One pause of the gateway's main thread. */
export interface Pause {
  kind: string;
  /** When it started, ms since the epoch. */
  start: number;
  /** ms. */
  duration: number;
}

export interface PauseKindReport {
  kind: string;
  count: number;
  perSecond: number;
  duration: { p50: number; p90: number; max: number };
  /** Share of the run's span the pauses of this kind took. */
  busyShare: number;
  /** Share of all requests in flight while a pause of this kind ran. */
  allShare: number;
  /** Share of the slow requests (above the run's p99) in flight while one ran. */
  slowShare: number;
}

export interface TailReport {
  requests: number;
  /** Latency above which a request counts as slow, ms. */
  threshold: number;
  slow: number;
  kinds: PauseKindReport[];
  /** Share of the slow requests in flight during no pause at all. */
  slowWithNone: number;
}

/** Scheduled send time and latency of each measured request of a run (failed ones left out). */
function requestsOf(run: SampleRun): Array<{ start: number; end: number; latency: number }> {
  const interval = 1000 / run.rate;
  return run.samples.flatMap((latency, i) => {
    if (!Number.isFinite(latency)) return [];
    const start = run.startEpochMs + i * interval;
    return [{ start, end: start + latency, latency }];
  });
}

/** The run's p99 (the bench's nearest-rank one): the requests above it are the slow ones. */
function p99Of(requests: ReadonlyArray<{ latency: number }>): number {
  return percentiles(requests.map((r) => r.latency)).p99;
}

/** The slow requests' (above the run's p99) and all requests' encounters with each kind of pause, over one run. */
export function attributeTail(pauses: readonly Pause[], run: SampleRun): TailReport {
  const requests = requestsOf(run);
  const threshold = p99Of(requests);
  const slow = requests.filter((r) => r.latency > threshold);
  const first = requests[0]?.start ?? run.startEpochMs;
  const last = requests.at(-1)?.end ?? first;
  const span = Math.max(last - first, 1);
  const inRun = pauses.filter((p) => p.start + p.duration > first && p.start < last);
  const overlaps = (r: { start: number; end: number }, p: Pause): boolean => p.start < r.end && p.start + p.duration > r.start;
  const share = (list: ReadonlyArray<{ start: number; end: number }>, of: readonly Pause[]): number =>
    list.length === 0 ? 0 : list.filter((r) => of.some((p) => overlaps(r, p))).length / list.length;
  const kinds = [...new Set(inRun.map((p) => p.kind))].sort().map((kind): PauseKindReport => {
    const ofKind = inRun.filter((p) => p.kind === kind);
    const durations = percentiles(ofKind.map((p) => p.duration));
    return {
      kind,
      count: ofKind.length,
      perSecond: ofKind.length / (span / 1000),
      duration: { p50: durations.p50, p90: durations.p90, max: durations.max },
      busyShare: ofKind.reduce((sum, p) => sum + p.duration, 0) / span,
      allShare: share(requests, ofKind),
      slowShare: share(slow, ofKind),
    };
  });
  return { requests: requests.length, threshold, slow: slow.length, kinds, slowWithNone: 1 - share(slow, inRun) };
}

/** The slow requests (above the run's p99) by their send time's phase in `periodMs`, in `bins` equal parts. */
export function slowByPhase(run: SampleRun, periodMs: number, bins = 10): number[] {
  const requests = requestsOf(run);
  const threshold = p99Of(requests);
  const counts = new Array<number>(bins).fill(0);
  for (const r of requests) {
    if (r.latency <= threshold) continue;
    const phase = ((r.start % periodMs) + periodMs) % periodMs;
    counts[Math.min(bins - 1, Math.floor((phase / periodMs) * bins))]! += 1;
  }
  return counts;
}

export function parsePauses(text: string): Pause[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Pause);
}

/** Names of the `gc` entries' kinds (perf_hooks' constants; V8's minor mark-sweep has none in Node, its kind is 2). */
const GC_KINDS = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'scavenge'],
  [2, 'minor-mark-sweep'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'mark-compact'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental-marking'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weak-callbacks'],
]);

/** Installs the hooks that log the gateway's pauses to `out` (written once a second and at exit). */
function logPauses(out: string): void {
  const pending: string[] = [];
  const flush = (): void => {
    if (pending.length > 0) appendFileSync(out, pending.splice(0).join('\n') + '\n');
  };
  setInterval(flush, 1000).unref();
  process.on('exit', flush);
  const now = (): number => performance.timeOrigin + performance.now();
  const log = (kind: string, start: number, end: number): void => {
    pending.push(JSON.stringify({ kind, start: Number(start.toFixed(3)), duration: Number((end - start).toFixed(3)) } satisfies Pause));
  };

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      log(`gc-${kind === undefined ? 'unknown' : (GC_KINDS.get(kind) ?? `kind-${kind}`)}`, performance.timeOrigin + entry.startTime, performance.timeOrigin + entry.startTime + entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });

  // The gateway's project tree (its working directory): its node_modules resolve kafkajs and the
  // OTLP exporter base as the gateway does.
  const fromGateway = createRequire(join(process.cwd(), 'package.json'));

  const brokerPorts = new Set((process.env['KAFKA_BROKERS'] ?? '').split(',').map((b) => Number(b.split(':').pop())));
  let produceStarted: number | undefined;
  const write = Socket.prototype.write;
  Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
    const result = (write as (...a: unknown[]) => boolean).apply(this, args);
    if (produceStarted !== undefined && brokerPorts.has(this.remotePort ?? -1)) {
      log('kafka', produceStarted, now());
      produceStarted = undefined;
    }
    return result;
  } as typeof write;
  const kafkajs = fromGateway('kafkajs') as { Kafka: { prototype: { producer: (...a: unknown[]) => { sendBatch: (...a: unknown[]) => unknown } } } };
  const producer = kafkajs.Kafka.prototype.producer;
  kafkajs.Kafka.prototype.producer = function (...args: unknown[]) {
    const created = producer.apply(this, args);
    const sendBatch = created.sendBatch;
    created.sendBatch = function (...batch: unknown[]) {
      produceStarted = now();
      return sendBatch.apply(this, batch);
    };
    return created;
  };

  const exporterBase = fromGateway('@opentelemetry/otlp-exporter-base') as { OTLPExporterBase: { prototype: { export: (...a: unknown[]) => unknown } } };
  const exportSpans = exporterBase.OTLPExporterBase.prototype.export;
  exporterBase.OTLPExporterBase.prototype.export = function (...args: unknown[]) {
    const started = now();
    try {
      return exportSpans.apply(this, args);
    } finally {
      log('otlp', started, now());
    }
  };
}

function report(pausesFile: string, samplesFile: string, rate: number): void {
  const pauses = parsePauses(readFileSync(pausesFile, 'utf8'));
  const runs = parseSampleRuns(readFileSync(samplesFile, 'utf8')).filter((run) => sameRate(run.rate, rate));
  if (runs.length === 0) {
    console.log(`no gateway run at ${rate} req/s with a start time in ${samplesFile}`);
    return;
  }
  const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;
  runs.forEach((run, index) => {
    const tail = attributeTail(pauses, run);
    console.log(`run ${index + 1} at ${rate} req/s: ${tail.requests} requests, p99 ${tail.threshold.toFixed(2)} ms, ${tail.slow} slower`);
    console.log('| pause | per s | duration p50 / p90 / max (ms) | share of the time | all requests in flight during one | slow requests in flight during one |');
    console.log('|---|---|---|---|---|---|');
    for (const k of tail.kinds) {
      console.log(`| ${k.kind} | ${k.perSecond.toFixed(1)} | ${k.duration.p50.toFixed(2)} / ${k.duration.p90.toFixed(2)} / ${k.duration.max.toFixed(2)} | ${pct(k.busyShare)} | ${pct(k.allShare)} | ${pct(k.slowShare)} |`);
    }
    console.log(`slow requests in flight during none of them: ${pct(tail.slowWithNone)}`);
    for (const period of [100, 500]) console.log(`slow requests by send time modulo ${period} ms, in tenths: ${slowByPhase(run, period).join(' ')}`);
  });
}

if (require.main === module) {
  const [pausesFile, samplesFile, rate] = process.argv.slice(2);
  if (!pausesFile || !samplesFile || !rate) {
    console.error('usage: node dist/bench-gateway/pauses.js <BENCH_PAUSES_OUT file> <BENCH_SAMPLES_OUT file> <rate>');
    process.exit(2);
  }
  report(pausesFile, samplesFile, Number(rate));
} else if (process.env['BENCH_PAUSES_OUT']) {
  logPauses(process.env['BENCH_PAUSES_OUT']);
}
