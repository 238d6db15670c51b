import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { MemoryAfterCollection } from './inspector';
import { describeKdamonds, runningKdamonds } from './kernel-monitors';
import type { Kdamond } from './kernel-monitors';
import type { RssSample } from './processes';
import type { HeldRateOutcome } from './held-rate-search';
import type { LoadResult, Percentiles } from './protocol';

/** The report of a benchmark run: machine facts, tables, the issue's targets, and docs/benchmarks.md. */

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  commit: string;
  loadAtStart: number[];
  loadAtEnd: number[];
  /** Kernel monitors that take a CPU at fixed intervals (kernel-monitors.ts); empty when none runs. */
  kdamonds: Kdamond[];
}

export function describeMachine(repoRoot: string): Machine {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux: keep os.cpus()'s model
  }
  let commit = 'unknown';
  try {
    const git = (args: string[]): string => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    commit = git(['rev-parse', '--short', 'HEAD']) + (git(['status', '--porcelain']) === '' ? '' : ' with uncommitted changes');
  } catch {
    // not a git checkout
  }
  return {
    cpus: cpus().length,
    cpuModel,
    memoryGiB: totalmem() / 2 ** 30,
    kernel: release(),
    node: process.version,
    commit,
    loadAtStart: loadavg(),
    loadAtEnd: [],
    kdamonds: runningKdamonds(),
  };
}

export type TargetName = 'upstream' | 'floor' | 'work-floor' | 'gateway';

export interface FixedRateRun {
  rate: number;
  result: LoadResult;
  /** CPU of the target process per completed request, µs. */
  cpuUsPerRequest: number;
  /** The gateway's child processes (its embedded Postgres), µs per request. */
  childrenCpuUsPerRequest?: number;
  /** Measured in several rounds (main.ts --rounds): `result` pools them, and these are each round's own. */
  rounds?: Array<{ latency: Percentiles; errors: number; cpuUsPerRequest: number }>;
}

export interface HeldRateProbe {
  rate: number;
  held: boolean;
  result: LoadResult;
  /** Which of the target's held-rate searches made the probe (1-based; absent: the only one). */
  search?: number;
}

export interface TargetReport {
  name: TargetName;
  fixed: FixedRateRun[];
  probes: HeldRateProbe[];
  /** Highest rate probed with p99 under the limit and no errors; undefined if none held. */
  maxHeld: number | undefined;
  /** The search ran out of probes before any rate above maxHeld was missed. */
  maxHeldIsLowerBound?: boolean;
  /** Each search's outcome, when the target was searched several times (maxHeld is their median). */
  searches?: HeldRateOutcome[];
  /** The fixed rate after which its higher fixed rates were skipped (p99 far past the limit, or errors). */
  saturatedAt?: number;
  /** The streaming first-byte runs, one per streaming rate. */
  streams: StreamRun[];
  rss: RssSample[];
}

export interface StreamRun {
  rate: number;
  result: LoadResult;
  /** Measured in several rounds: `result` pools them, and these are each round's own. */
  rounds?: Array<{ firstByte: Percentiles; errors: number }>;
}

export interface LatencyRun {
  command: string;
  startedAt: Date;
  quick: boolean;
  rates: number[];
  warmupSeconds: number;
  durationSeconds: number;
  /** Measured rounds at the reference rate, pooled. */
  rounds: number;
  searchSeconds: number;
  /** Held-rate searches of the floor and the gateway (each one's figure is their median); absent: one. */
  searches?: number;
  /** Rates of the streaming first-byte runs (each target's `streams`). */
  streamRates: number[];
  /**
   * The JIT warm-ups: unmeasured load per target at the reference rate before its first measured
   * rate, and again streaming before the streaming run.
   */
  jitWarmupSeconds: number;
  referenceRate: number;
  p99LimitMs: number;
  machine: Machine;
  /** How the gateway ran (telemetry, events), or why it was skipped. */
  gatewaySetup: string;
  gatewaySkipped?: string;
  targets: TargetReport[];
  notes: string[];
}

export interface Verdict {
  goal: string;
  measured: string;
  verdict: 'PASS' | 'MISS' | 'n/a';
}

const ms = (value: number | undefined): string => {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
};
const us = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(0));
export const mb = (bytes: number | undefined): string => (bytes === undefined ? '–' : (bytes / 2 ** 20).toFixed(0));
const pair = (p: Percentiles | undefined): string => (p ? `${ms(p.p50)} / ${ms(p.p99)}` : '–');

/**
 * What else took the CPUs, next to the numbers: load from before the run (other work shared them)
 * and kernel monitors that take a CPU at fixed intervals.
 */
function noiseWarning(machine: Machine): string {
  const busy = (machine.loadAtStart[0] ?? 0) > 0.5;
  const load = busy ? ' **Other work was running on the machine when this run started (1-minute load above 0.5): expect noise, compare ratios, not absolute figures.**' : '';
  return load + describeKdamonds(machine.kdamonds);
}

function target(run: LatencyRun, name: TargetName): TargetReport | undefined {
  return run.targets.find((candidate) => candidate.name === name);
}

function atRate(report: TargetReport | undefined, rate: number): FixedRateRun | undefined {
  return report?.fixed.find((fixed) => fixed.rate === rate);
}

function streamRunAt(report: TargetReport | undefined, rate: number): StreamRun | undefined {
  return report?.streams.find((stream) => stream.rate === rate);
}

function streamAt(report: TargetReport | undefined, rate: number): LoadResult | undefined {
  return streamRunAt(report, rate)?.result;
}

/** A held-rate outcome as the tables print it: `none`, `3600`, or `≥ 3600` for a lower bound. */
function heldText(outcome: { maxHeld: number | undefined; maxHeldIsLowerBound?: boolean }): string {
  return outcome.maxHeld === undefined ? 'none' : `${outcome.maxHeldIsLowerBound ? '≥ ' : ''}${outcome.maxHeld}`;
}

/** What a proxy adds over the upstream called directly at the same rate, p50 and p99. */
function added(run: LatencyRun, name: TargetName, rate: number): { p50: number; p99: number } | undefined {
  const proxy = atRate(target(run, name), rate)?.result;
  const direct = atRate(target(run, 'upstream'), rate)?.result;
  if (!proxy || !direct || proxy.errors > 0) return undefined;
  return { p50: proxy.latency.p50 - direct.latency.p50, p99: proxy.latency.p99 - direct.latency.p99 };
}

function withErrors(result: Pick<LoadResult, 'errors'>, text: string): string {
  return result.errors > 0 ? `${text} (${result.errors} errors)` : text;
}

export function latencyVerdicts(run: LatencyRun): Verdict[] {
  const rate = run.referenceRate;
  const gateway = target(run, 'gateway');
  const floor = target(run, 'floor');
  const upstream = target(run, 'upstream');
  const verdict = (pass: boolean | undefined): Verdict['verdict'] => (pass === undefined ? 'n/a' : pass ? 'PASS' : 'MISS');
  const gatewayAdded = added(run, 'gateway', rate);
  const floorAdded = added(run, 'floor', rate);
  const gatewayAtRate = atRate(gateway, rate)?.result;
  // Measured but unusable (errors, or saturated below the rate) is a miss; never measured is n/a.
  let missing = 'gateway skipped';
  let failed = false;
  if (gateway && gatewayAtRate && gatewayAtRate.errors > 0) [missing, failed] = [`gateway had ${gatewayAtRate.errors} errors at ${rate} req/s`, true];
  else if (gateway?.saturatedAt !== undefined && !gatewayAtRate) [missing, failed] = [`gateway saturated at ${gateway.saturatedAt} req/s, below ${rate}`, true];
  else if (gateway) missing = 'not measured';
  const heldRatio = gateway?.maxHeld !== undefined && floor?.maxHeld ? gateway.maxHeld / floor.maxHeld : gateway && floor?.maxHeld ? 0 : undefined;
  return [
    {
      goal: `gateway's added p50 within 0.3 ms of the floor's (at ${rate} req/s)`,
      measured: gatewayAdded && floorAdded ? `${ms(gatewayAdded.p50)} vs ${ms(floorAdded.p50)} ms: +${ms(gatewayAdded.p50 - floorAdded.p50)} ms` : missing,
      verdict: verdict(gatewayAdded && floorAdded ? gatewayAdded.p50 - floorAdded.p50 <= 0.3 : failed ? false : undefined),
    },
    {
      goal: `gateway's added p99 at ${rate} req/s at most 2× the floor's`,
      measured:
        gatewayAdded && floorAdded
          ? // A floor p99 at or under the upstream's adds nothing: no ratio to speak of, and any gateway addition is more than twice it.
            `${ms(gatewayAdded.p99)} vs ${ms(floorAdded.p99)} ms: ${floorAdded.p99 > 0 ? `${(gatewayAdded.p99 / floorAdded.p99).toFixed(2)}×` : 'the floor adds nothing at p99 in this run'}`
          : missing,
      verdict: verdict(gatewayAdded && floorAdded ? gatewayAdded.p99 <= 2 * floorAdded.p99 : failed ? false : undefined),
    },
    {
      goal: `gateway's highest rate with p99 < ${run.p99LimitMs} ms at least 70% of the floor's`,
      measured:
        heldRatio === undefined
          ? gateway
            ? 'floor held no rate'
            : missing
          : `${heldText(gateway!)} vs ${heldText(floor!)} req/s${gateway?.searches && floor?.searches ? ` (medians of ${gateway.searches.length} and ${floor.searches.length} searches)` : ''}: ${(heldRatio * 100).toFixed(1)}%` +
            (floor?.maxHeldIsLowerBound || gateway?.maxHeldIsLowerBound ? ' (a search that found no miss gives a lower bound)' : ''),
      verdict: verdict(heldRatio === undefined ? undefined : heldRatio >= 0.7),
    },
    // The issue names no rate for this target: judged at each streaming rate (low and reference).
    ...run.streamRates.map((streamRate): Verdict => {
      const proxy = streamAt(gateway, streamRate);
      const direct = streamAt(upstream, streamRate);
      const overhead = proxy && direct ? (proxy.firstByte?.p50 ?? NaN) - (direct.firstByte?.p50 ?? NaN) : undefined;
      return {
        goal: `streaming first-byte overhead p50 under 1 ms (gateway vs upstream direct, ${streamRate} req/s)`,
        measured: overhead === undefined ? missing : withErrors(proxy!, `${ms(proxy?.firstByte?.p50)} vs ${ms(direct?.firstByte?.p50)} ms: +${ms(overhead)} ms`),
        verdict: verdict(overhead === undefined ? undefined : overhead < 1 && proxy!.errors === 0),
      };
    }),
    {
      goal: 'RSS flat over a 5-minute run',
      measured: 'not judged here: run `npm run bench:gateway -- --soak 300` (section below)',
      verdict: 'n/a',
    },
  ];
}

/**
 * The gateway against the work floor (floor-work.ts: the floor plus the issue's per-call event,
 * span and metrics), and the work floor against the floor: a reference for the team's option 1
 * in docs/gateway-performance.md, not one of the issue's targets. Empty without a work floor.
 */
export function workFloorComparisons(run: LatencyRun): Array<{ comparison: string; measured: string }> {
  const rate = run.referenceRate;
  const work = target(run, 'work-floor');
  if (!work) return [];
  const floor = target(run, 'floor');
  const gateway = target(run, 'gateway');
  const rows: Array<{ comparison: string; measured: string }> = [];
  const workAdded = added(run, 'work-floor', rate);
  const gatewayAdded = added(run, 'gateway', rate);
  const floorAdded = added(run, 'floor', rate);
  const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : 'no ratio: the second adds nothing');
  if (gatewayAdded && workAdded) {
    rows.push({ comparison: `gateway's added p50 over the work floor's (${rate} req/s)`, measured: `${ms(gatewayAdded.p50)} vs ${ms(workAdded.p50)} ms: +${ms(gatewayAdded.p50 - workAdded.p50)} ms` });
    rows.push({ comparison: `gateway's added p99 / the work floor's (${rate} req/s)`, measured: `${ms(gatewayAdded.p99)} vs ${ms(workAdded.p99)} ms: ${ratio(gatewayAdded.p99, workAdded.p99)}` });
  }
  if (workAdded && floorAdded) rows.push({ comparison: `work floor's added p99 / the floor's (${rate} req/s)`, measured: `${ms(workAdded.p99)} vs ${ms(floorAdded.p99)} ms: ${ratio(workAdded.p99, floorAdded.p99)}` });
  const heldRow = (label: string, a: TargetReport | undefined, b: TargetReport | undefined): void => {
    if (a?.maxHeld === undefined || !b?.maxHeld) return;
    rows.push({ comparison: label, measured: `${heldText(a)} vs ${heldText(b)} req/s: ${((a.maxHeld / b.maxHeld) * 100).toFixed(1)}%` });
  };
  heldRow(`gateway's highest rate with p99 < ${run.p99LimitMs} ms / the work floor's`, gateway, work);
  heldRow(`work floor's highest rate with p99 < ${run.p99LimitMs} ms / the floor's`, work, floor);
  const cpu = (report: TargetReport | undefined): number | undefined => atRate(report, rate)?.cpuUsPerRequest;
  const [floorCpu, workCpu, gatewayCpu] = [cpu(floor), cpu(work), cpu(gateway)];
  if (workCpu !== undefined && gatewayCpu !== undefined) rows.push({ comparison: `CPU per request at ${rate} req/s, gateway / work floor`, measured: `${us(gatewayCpu)} vs ${us(workCpu)} µs: ${ratio(gatewayCpu, workCpu)}` });
  if (workCpu !== undefined && floorCpu !== undefined) rows.push({ comparison: `CPU per request at ${rate} req/s, work floor / floor`, measured: `${us(workCpu)} vs ${us(floorCpu)} µs: ${ratio(workCpu, floorCpu)}` });
  return rows;
}

export function renderLatencySection(run: LatencyRun): string {
  const names: TargetName[] = ['upstream', 'floor', 'work-floor', 'gateway'];
  const present = names.filter((name) => target(run, name));
  const { machine } = run;
  const lines: string[] = [];
  lines.push('## Gateway overhead (`npm run bench:gateway`)', '');
  lines.push(
    `Run ${run.startedAt.toISOString()} with \`${run.command}\`${run.quick ? ' (**quick smoke run**: short windows, numbers indicative only)' : ''}, commit ${machine.commit}.`,
    '',
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB.toFixed(1)} GiB RAM, Linux ${machine.kernel}, Node ${machine.node}. ` +
      `Load generator, upstream, floor proxy and gateway share these CPUs. Load average (1/5/15 min) at start ${machine.loadAtStart.map((v) => v.toFixed(2)).join(' / ')}, ` +
      `at end ${machine.loadAtEnd.map((v) => v.toFixed(2)).join(' / ')}.` +
      noiseWarning(machine),
    '',
    `Gateway: ${run.gatewaySkipped ? `**skipped**: ${run.gatewaySkipped}` : run.gatewaySetup}`,
    '',
    'How it is measured:',
    '',
    `- ${present.includes('work-floor') ? 'Four' : 'Three'} targets in one run, interleaved per rate: the OpenAI-compatible **upstream** called directly (\`bench/gateway/bench-upstream.ts\`: fixed reply with \`usage\`, no added latency), the **floor** proxy (\`bench/gateway/floor-proxy.ts\`: node:http + undici, parse, forward, read \`usage\`, reply), ${present.includes('work-floor') ? 'the **work floor** (the floor proxy also doing the per-call event, span and metrics: below), ' : ''}and the **gateway**. Each target, the upstream and the load generator run in separate processes.`,
    `- Open loop (\`bench/gateway/load-generator.ts\`): requests leave at a fixed rate whatever the target does; latency counts from each request's *scheduled* send time to its last byte (no coordinated omission), after ${run.warmupSeconds} s of warm-up, over ${run.durationSeconds} s per rate${run.rounds > 1 ? ` (at ${run.referenceRate} req/s, where the targets are judged, in ${run.rounds} rounds of the targets in turn: each target's requests of all rounds are pooled into one set of percentiles, so that one stall of this shared machine in one target's window does not decide a ratio; each round's own figures are listed below the table)` : ''}; before its first rate each target gets ${run.jitWarmupSeconds} s of unmeasured load at ${run.referenceRate} req/s (${(run.jitWarmupSeconds * run.referenceRate).toLocaleString('en-US')} calls), so that V8 has optimised its hot path: the gateway's wave of TurboFan compilations comes about 10,000 calls after it starts and stalls it for about half a second. "Adds" is the target's percentile minus the upstream's at the same rate; the generator's own dispatch lag (Node timers, about 1 ms granularity; see its health table) is in every figure, the upstream's included, so it largely cancels there.`,
    `- Highest rate held: from the fixed rates, step up ×1.5 then bisect (${run.searchSeconds} s per probe; a miss counts once a second probe at that rate misses too; the targets' probes in turn, so their searches share the same minutes of the machine) for the highest rate with p99 < ${run.p99LimitMs} ms and no errors.${(run.searches ?? 1) > 1 ? ` The floor and the gateway are searched ${run.searches} times, each search from the fixed rates afresh, and each one's figure is the median of its searches: on this shared machine one search's figure moved by 2× between runs of the same code (the floor's 4,150 and 8,900 req/s, docs/benchmarks.md, twenty-fifth session). The upstream, which no target judges, is searched once.` : ''} The generator shares the machine, so the upstream's own figure is partly the generator's limit.`,
    `- CPU per request: utime + stime of the target process from /proc over the measured window (until it is idle again), divided by completed requests. The gateway's embedded Postgres (its child processes) is listed apart.`,
    `- Streaming first byte: \`stream: true\` with \`include_usage\` at ${run.streamRates.join(' and ')} req/s after ${run.jitWarmupSeconds} s of unmeasured streaming at ${run.referenceRate} req/s (JIT warm-up of the streaming path, as above), scheduled send time to the first body byte${run.rounds > 1 ? `, in ${run.rounds} rounds of the targets in turn (${run.durationSeconds} s each, after ${run.warmupSeconds} s of warm-up), each target's rounds pooled; each round's own figures are listed below the table` : ''}.`,
    '- RSS: /proc VmRSS of each target, sampled every second over the whole run.',
    '',
  );

  lines.push(`### Latency at fixed rates (ms, p50 / p99)`, '');
  const header = ['rate (req/s)', ...present.map((name) => `${name} p50 / p99`), ...present.filter((n) => n !== 'upstream').map((name) => `${name} adds p50 / p99`), 'CPU µs/request (' + present.join(' / ') + ')'];
  lines.push(`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`);
  for (const rate of run.rates) {
    const cells = [String(rate)];
    for (const name of present) {
      const report = target(run, name);
      const fixed = atRate(report, rate);
      cells.push(fixed ? withErrors(fixed.result, pair(fixed.result.latency)) : report?.saturatedAt !== undefined ? `not run (saturated at ${report.saturatedAt})` : '–');
    }
    for (const name of present.filter((n) => n !== 'upstream')) {
      const add = added(run, name, rate);
      cells.push(add ? `${ms(add.p50)} / ${ms(add.p99)}` : '–');
    }
    cells.push(present.map((name) => us(atRate(target(run, name), rate)?.cpuUsPerRequest)).join(' / '));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('');
  const rounds = present.map((name) => ({ name, rounds: atRate(target(run, name), run.referenceRate)?.rounds })).filter((entry) => entry.rounds && entry.rounds.length > 1);
  if (rounds.length > 0) {
    lines.push(`Each round at ${run.referenceRate} req/s on its own, p50 / p99 (ms) and CPU µs/request; the row above pools them:`, '');
    for (const { name, rounds: each } of rounds) {
      lines.push(`- ${name}: ${each!.map((r, i) => `round ${i + 1} ${withErrors(r, pair(r.latency))}, ${us(r.cpuUsPerRequest)} µs`).join('; ')}`);
    }
    lines.push('');
  }

  lines.push('### Per target', '');
  lines.push(`| | ${present.join(' | ')} |`, `|---|${present.map(() => '---').join('|')}|`);
  const row = (label: string, cell: (report: TargetReport) => string): void => {
    lines.push(`| ${label} | ${present.map((name) => cell(target(run, name)!)).join(' | ')} |`);
  };
  row(`highest rate with p99 < ${run.p99LimitMs} ms (req/s)${(run.searches ?? 1) > 1 ? `, median of ${run.searches} searches${present.includes('upstream') ? ' (upstream: one)' : ''}` : ''}`, (r) => heldText(r));
  row(`CPU per request at ${run.referenceRate} req/s (µs)`, (r) => {
    const fixed = atRate(r, run.referenceRate);
    if (!fixed) return '–';
    return fixed.childrenCpuUsPerRequest === undefined ? us(fixed.cpuUsPerRequest) : `${us(fixed.cpuUsPerRequest)} (+ Postgres ${us(fixed.childrenCpuUsPerRequest)})`;
  });
  for (const streamRate of run.streamRates) {
    row(`streaming first byte p50 / p99 at ${streamRate} req/s (ms)`, (r) => {
      const stream = streamAt(r, streamRate);
      return stream ? withErrors(stream, pair(stream.firstByte)) : '–';
    });
    row(`streaming whole reply p50 / p99 at ${streamRate} req/s (ms)`, (r) => pair(streamAt(r, streamRate)?.latency));
  }
  row('RSS start / end / max (MB)', (r) => {
    const bytes = r.rss.map((sample) => sample.bytes);
    return bytes.length === 0 ? '–' : `${mb(bytes[0])} / ${mb(bytes[bytes.length - 1])} / ${mb(Math.max(...bytes))}`;
  });
  lines.push('');

  for (const streamRate of run.streamRates) {
    const streamRounds = present.map((name) => ({ name, rounds: streamRunAt(target(run, name), streamRate)?.rounds })).filter((entry) => entry.rounds && entry.rounds.length > 1);
    if (streamRounds.length === 0) continue;
    lines.push(`Each streaming round at ${streamRate} req/s on its own, first byte p50 / p99 (ms); the row above pools them:`, '');
    for (const { name, rounds: each } of streamRounds) lines.push(`- ${name}: ${each!.map((r, i) => `round ${i + 1} ${withErrors(r, pair(r.firstByte))}`).join('; ')}`);
    lines.push('');
  }

  lines.push('### Targets (issue 3), as ratios from this run', '');
  lines.push('| target | measured | verdict |', '|---|---|---|');
  for (const verdict of latencyVerdicts(run)) lines.push(`| ${verdict.goal} | ${verdict.measured} | **${verdict.verdict}** |`);
  lines.push('');
  const comparisons = workFloorComparisons(run);
  if (comparisons.length > 0) {
    lines.push(
      '### Against the work floor (a reference, not one of the issue\'s targets)',
      '',
      'The work floor is the floor proxy doing the per-call work the issue requires as well: an `llm.call` event on the same Kafka broker (Tollgate\'s kafkajs set-up, gathered for 100 ms), a `chat` span at the same sampling and OTLP export, and the two GenAI metrics (`bench/gateway/floor-work.ts`). Measured because docs/gateway-performance.md lists judging the gateway against such a floor as one of the team\'s options.',
      '',
      '| comparison | measured |',
      '|---|---|',
    );
    for (const row of comparisons) lines.push(`| ${row.comparison} | ${row.measured} |`);
    lines.push('');
  }

  lines.push('### Load generator health and held-rate search', '');
  lines.push('| target | worst send lag p99 (ms) | max in flight | requests queued for a connection | connections opened while measuring | generator CPU (max, share of a core) |', '|---|---|---|---|---|---|');
  for (const name of present) {
    const results = target(run, name)!.fixed.map((fixed) => fixed.result);
    lines.push(
      `| ${name} | ${ms(Math.max(...results.map((r) => r.sendLag.p99)))} | ${Math.max(...results.map((r) => r.maxInFlight))} | ${results.reduce((sum, r) => sum + r.queued, 0)} | ${results.reduce((sum, r) => sum + r.connectionsOpened, 0)} | ${Math.max(...results.map((r) => r.generatorCpuShare)).toFixed(2)} |`,
    );
  }
  lines.push('');
  for (const name of present) {
    const report = target(run, name)!;
    const listProbes = (probes: HeldRateProbe[]): string =>
      probes.length ? probes.map((probe) => `${probe.rate} ${probe.held ? 'held' : 'missed'} (p99 ${ms(probe.result.latency.p99)} ms${probe.result.errors ? `, ${probe.result.errors} errors` : ''})`).join(', ') : 'none beyond the fixed rates';
    if (!report.searches) {
      lines.push(`- ${name} probes: ${listProbes(report.probes)}`);
      continue;
    }
    const found = report.searches.map((outcome) => heldText(outcome));
    lines.push(`- ${name}: ${report.searches.length} searches held ${found.join(', ')} req/s; median ${heldText(report)}`);
    report.searches.forEach((outcome, index) => {
      lines.push(`  - search ${index + 1} (${heldText(outcome)}): ${listProbes(report.probes.filter((probe) => probe.search === index + 1))}`);
    });
  }
  const errorNotes = run.targets.flatMap((report) =>
    [...report.fixed.map((f) => f.result), ...report.streams.map((stream) => stream.result)].flatMap((result) => result.errorSamples.map((sample) => `${report.name}: ${sample}`)),
  );
  for (const note of [...new Set(errorNotes)].slice(0, 8)) lines.push(`- error seen: ${note.replace(/\|/g, '\\|').replace(/\s+/g, ' ')}`);
  for (const note of run.notes) lines.push(`- ${note}`);
  lines.push(
    '',
    'Reproduce: `npm run bench:gateway` (about 13 minutes on a 2-vCPU machine; `-- --quick` for a one-minute smoke run, `-- --soak 300` for the memory check, ' +
      '`-- --profile` for a CPU profile of the gateway, `-- --otel spans|off` to see what tracing costs, `-- --help` for the rest).',
    '',
  );
  return lines.join('\n');
}

// ---- soak -------------------------------------------------------------------------------------

export interface SoakRun {
  command: string;
  startedAt: Date;
  rate: number;
  warmupSeconds: number;
  seconds: number;
  windowSeconds: number;
  machine: Machine;
  gatewaySetup: string;
  result: LoadResult;
  cpuUsPerRequest: number;
  /** Gateway RSS samples; measuredFromMs / measuredToMs on the same clock. */
  rss: RssSample[];
  measuredFromMs: number;
  measuredToMs: number;
  /** The gateway's memory right after a full collection, once idle after the warm-up and after the measured run. */
  collected: { atStart: MemoryAfterCollection; atEnd: MemoryAfterCollection };
}

/** How much more RSS may stay after the run's full collection than after the warm-up's. */
export const RSS_GROWTH_LIMIT = 0.05;

/**
 * The soak's verdict: RSS after a full collection at the end against the same at the start. Not
 * the RSS sampled while it runs: that follows V8's collection cycle (old space grows to a limit, a
 * mark-compact returns it; 210–320 MB at 500 req/s over 8–10 minutes), so a five-minute run's
 * trend said MISS or PASS by the phase the cycle was in (docs/benchmarks.md, ninth and tenth
 * sessions). A leak stays after a full collection; 5% of ~160 MB over 150,000 calls is ~55 bytes a call.
 */
export function memoryVerdict({ atStart, atEnd }: SoakRun['collected']): { flat: boolean; measured: string } {
  const growth = atEnd.rssBytes / atStart.rssBytes - 1;
  const heapGrowth = atEnd.heapUsedBytes / atStart.heapUsedBytes - 1;
  const signed = (ratio: number): string => `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(1)}%`;
  return {
    flat: atEnd.rssBytes <= atStart.rssBytes * (1 + RSS_GROWTH_LIMIT),
    measured:
      `RSS after a full collection ${mb(atStart.rssBytes)} MB after the warm-up, ${mb(atEnd.rssBytes)} MB after the run (${signed(growth)}; flat: at most +${RSS_GROWTH_LIMIT * 100}%); ` +
      `heap used ${(atStart.heapUsedBytes / 2 ** 20).toFixed(1)} → ${(atEnd.heapUsedBytes / 2 ** 20).toFixed(1)} MB (${signed(heapGrowth)})`,
  };
}

export interface RssTrend {
  startBytes: number;
  endBytes: number;
  maxBytes: number;
  /** Least-squares slope after the settling fifth, MB per minute. */
  slopeMbPerMinute: number;
  /** That slope over the judged span, as a share of the median RSS. */
  growthShare: number;
}

/** RSS's trend over the run after the first fifth, against its median over that span (reported, not judged). */
export function rssTrend(run: SoakRun): RssTrend | undefined {
  const from = run.measuredFromMs + (run.measuredToMs - run.measuredFromMs) / 5;
  const judged = run.rss.filter((sample) => sample.atMs >= from && sample.atMs <= run.measuredToMs + 1_000);
  const measured = run.rss.filter((sample) => sample.atMs >= run.measuredFromMs);
  if (judged.length < 3 || measured.length === 0) return undefined;
  const meanT = judged.reduce((sum, s) => sum + s.atMs, 0) / judged.length;
  const meanB = judged.reduce((sum, s) => sum + s.bytes, 0) / judged.length;
  let covariance = 0;
  let variance = 0;
  for (const sample of judged) {
    covariance += (sample.atMs - meanT) * (sample.bytes - meanB);
    variance += (sample.atMs - meanT) ** 2;
  }
  const slope = variance === 0 ? 0 : covariance / variance; // bytes per ms
  const sorted = judged.map((sample) => sample.bytes).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? meanB;
  const span = (judged[judged.length - 1]?.atMs ?? 0) - (judged[0]?.atMs ?? 0);
  const growthShare = (slope * span) / median;
  return {
    startBytes: measured[0]!.bytes,
    endBytes: measured[measured.length - 1]!.bytes,
    maxBytes: Math.max(...measured.map((sample) => sample.bytes)),
    slopeMbPerMinute: (slope * 60_000) / 2 ** 20,
    growthShare,
  };
}

export function renderSoakSection(run: SoakRun): string {
  const trend = rssTrend(run);
  const { machine, result } = run;
  const lines: string[] = [];
  lines.push('## Gateway memory over a long run (`npm run bench:gateway -- --soak`)', '');
  lines.push(
    `Run ${run.startedAt.toISOString()} with \`${run.command}\`, commit ${machine.commit}: the gateway alone at ${run.rate} req/s open loop for ${run.seconds} s after ${run.warmupSeconds} s of warm-up, RSS sampled every 5 s. ` +
      `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB.toFixed(1)} GiB RAM, Node ${machine.node}; load average at start ${machine.loadAtStart.map((v) => v.toFixed(2)).join(' / ')}, at end ${machine.loadAtEnd.map((v) => v.toFixed(2)).join(' / ')}.${noiseWarning(machine)}`,
    '',
    `Gateway: ${run.gatewaySetup}`,
    '',
    `Whole run: p50 / p99 ${pair(result.latency)} ms, ${result.ok} ok, ${result.errors} errors, CPU ${us(run.cpuUsPerRequest)} µs per request. ` +
      'These follow the forced full collection at the start, after which V8 ran mark-compacts about twice a second for the rest of a run (measured at 1,000 req/s; none in 50 s without it), so they are worse than the latency section\'s: that section judges latency, this one memory.',
    '',
  );
  const verdict = memoryVerdict(run.collected);
  lines.push(`**RSS flat over the run: ${verdict.flat ? 'PASS' : 'MISS'}**: ${verdict.measured}.`, '');
  if (trend) {
    lines.push(
      `RSS while it ran (sampled every 5 s, not judged: it follows the collection cycle): start ${mb(trend.startBytes)} MB, end ${mb(trend.endBytes)} MB, max ${mb(trend.maxBytes)} MB; ` +
        `trend after the first fifth ${trend.slopeMbPerMinute.toFixed(2)} MB/min, ${(trend.growthShare * 100).toFixed(1)}% of the median over that span.`,
      '',
    );
  }
  lines.push('| from second | p50 / p99 (ms) | errors | gateway RSS at window end (MB) |', '|---|---|---|---|');
  for (const window of result.windows ?? []) {
    const endMs = run.measuredFromMs + (window.startSecond + run.windowSeconds) * 1000;
    const sample = [...run.rss].reverse().find((s) => s.atMs <= endMs);
    lines.push(`| ${window.startSecond.toFixed(0)} | ${pair(window.latency)} | ${window.errors} | ${mb(sample?.bytes)} |`);
  }
  lines.push('');
  return lines.join('\n');
}

// ---- docs/benchmarks.md -----------------------------------------------------------------------

const PREAMBLE = `# Benchmarks

Results of the scripts under \`bench/\`, the latest run of each. A script rewrites only its own
block (between its \`<!-- bench:... -->\` markers); anything outside the blocks is kept.
`;

/** Replaces the block marked with key in file (appending it if absent), keeping everything else. */
export function writeSection(file: string, key: string, content: string): void {
  const begin = `<!-- bench:${key}:begin -->`;
  const end = `<!-- bench:${key}:end -->`;
  const block = `${begin}\n${content.trim()}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : PREAMBLE;
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from ? current.slice(0, from) + block + current.slice(to + end.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
