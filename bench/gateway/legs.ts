import { appendFileSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import { percentiles } from './rounds';
import type { Percentiles } from './protocol';

/**
 * Where a proxy's share of a request's latency goes, seen from inside the proxy process: the
 * whole stay (node:http's `http.server.request.start` to `http.server.response.finish`) against
 * the upstream exchange (undici's `undici:request:create`, when the request is written, to
 * `undici:request:trailers`, when the answer's last byte is parsed). Both the floor proxy and the
 * gateway serve with node:http and call upstream with undici, so the same preload measures both
 * without an edit to either. The stay minus the exchange (at the same percentile) is the proxy's
 * own handling before and after the upstream call; the exchange is the upstream's own time plus
 * every wait before the proxy reads its answer (the upstream's and the proxy's turns on the CPUs,
 * and anything the proxy's event loop was busy with when the answer came).
 *
 * Preloaded into every process of a run (diagnosis only); each process that served or sent
 * requests appends one JSON line to BENCH_LEGS_OUT when the window ends:
 *
 *   BENCH_LEGS_OUT=/tmp/legs.jsonl BENCH_LEGS_FROM=46 BENCH_LEGS_TO=107 \
 *   NODE_OPTIONS="--require $PWD/dist/bench-gateway/legs.js" \
 *   npm run bench:gateway -- --no-docs --targets floor,gateway --rates 1000 --rounds 3 \
 *     --duration 8 --search-duration 0.3 --initial-warmup 20 --stream-rate 1000
 *   node dist/bench-gateway/legs.js /tmp/legs.jsonl
 *
 * BENCH_LEGS_FROM and BENCH_LEGS_TO are seconds of each process's uptime: with those two targets
 * the interleaved 1,000 req/s rounds run from about 45 s to 108 s, after both JIT warm-ups.
 */

export interface LegsReport {
  /** node:http requests served: arrival of the request's head to the response's last write. */
  stay: Percentiles;
  /** undici requests sent: written to the upstream until the answer's last byte is parsed. */
  upstream: Percentiles;
  /** undici requests sent: written to the upstream until the answer's headers are parsed. */
  upstreamHeaders: Percentiles;
}

export interface LegsRecorder {
  /** Stops listening and gives the figures of what finished inside the window. */
  stop(): LegsReport;
}

export interface LegsOptions {
  /** Window in ms after the recorder started: only requests that finish inside it count. Default: all. */
  fromMs?: number;
  toMs?: number;
  /** Counts only the requests of this server (a process that serves on several). */
  server?: Server;
}

const SERVER_START = 'http.server.request.start';
const SERVER_FINISH = 'http.server.response.finish';
const UPSTREAM_CREATE = 'undici:request:create';
const UPSTREAM_HEADERS = 'undici:request:headers';
const UPSTREAM_TRAILERS = 'undici:request:trailers';

/** Starts recording the legs of every request this process serves and sends. */
export function recordLegs(options: LegsOptions = {}): LegsRecorder {
  const started = performance.now();
  const from = options.fromMs ?? 0;
  const to = options.toMs ?? Number.POSITIVE_INFINITY;
  const inWindow = (now: number): boolean => now - started >= from && now - started <= to;
  const arrived = new WeakMap<IncomingMessage, number>();
  const sent = new WeakMap<object, number>();
  const stay: number[] = [];
  const upstream: number[] = [];
  const upstreamHeaders: number[] = [];

  /** Adds the time since `start` to `into`, for a request that finishes now inside the window. */
  const finished = (into: number[], start: number | undefined): void => {
    const now = performance.now();
    if (start !== undefined && inWindow(now)) into.push(now - start);
  };
  const onServerStart = (message: unknown): void => {
    const { request, server } = message as { request: IncomingMessage; server?: Server };
    if (options.server && server !== options.server) return;
    arrived.set(request, performance.now());
  };
  const onServerFinish = (message: unknown): void => finished(stay, arrived.get((message as { request: IncomingMessage }).request));
  const onCreate = (message: unknown): void => void sent.set((message as { request: object }).request, performance.now());
  const onHeaders = (message: unknown): void => finished(upstreamHeaders, sent.get((message as { request: object }).request));
  const onTrailers = (message: unknown): void => finished(upstream, sent.get((message as { request: object }).request));
  const channels: Array<[string, (message: unknown) => void]> = [
    [SERVER_START, onServerStart],
    [SERVER_FINISH, onServerFinish],
    [UPSTREAM_CREATE, onCreate],
    [UPSTREAM_HEADERS, onHeaders],
    [UPSTREAM_TRAILERS, onTrailers],
  ];
  for (const [name, listener] of channels) subscribe(name, listener);
  return {
    stop(): LegsReport {
      for (const [name, listener] of channels) unsubscribe(name, listener);
      return { stay: percentiles(stay), upstream: percentiles(upstream), upstreamHeaders: percentiles(upstreamHeaders) };
    },
  };
}

/** One process's line in BENCH_LEGS_OUT. */
export interface LegsLine {
  pid: number;
  /** The process's main script, e.g. `floor-proxy.js` or `main.js`. */
  script: string;
  report: LegsReport;
}

export function parseLegsLines(text: string): LegsLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LegsLine);
}

function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : '–';
}

/**
 * One row per process that proxied (served and sent requests): its stay and upstream exchange at
 * p50 and p90, and their difference, the proxy's own handling at that percentile.
 */
export function formatLegs(lines: LegsLine[]): string[] {
  const rows = ['| process | requests | stay p50 / p90 (ms) | upstream exchange p50 / p90 | upstream headers p50 | own (stay − exchange) p50 / p90 |', '|---|---|---|---|---|---|'];
  for (const { pid, script, report } of lines) {
    if (report.stay.count === 0 || report.upstream.count === 0) continue;
    const { stay, upstream, upstreamHeaders } = report;
    rows.push(
      `| ${script} (${pid}) | ${stay.count} | ${ms(stay.p50)} / ${ms(stay.p90)} | ${ms(upstream.p50)} / ${ms(upstream.p90)} | ${ms(upstreamHeaders.p50)} | ${ms(stay.p50 - upstream.p50)} / ${ms(stay.p90 - upstream.p90)} |`,
    );
  }
  return rows;
}

if (require.main === module) {
  const [file] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node dist/bench-gateway/legs.js <BENCH_LEGS_OUT file>');
    process.exit(2);
  }
  for (const row of formatLegs(parseLegsLines(readFileSync(file, 'utf8')))) console.log(row);
} else if (process.env['BENCH_LEGS_OUT']) {
  // As a preload (worker threads load it too; only the main thread's requests are the process's).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- only the preload needs it
  const { isMainThread } = require('node:worker_threads') as typeof import('node:worker_threads');
  if (isMainThread) {
    const out = process.env['BENCH_LEGS_OUT'];
    const fromMs = Number(process.env['BENCH_LEGS_FROM'] ?? 0) * 1000;
    const toMs = Number(process.env['BENCH_LEGS_TO'] ?? 120) * 1000;
    const recorder = recordLegs({ fromMs, toMs });
    setTimeout(() => {
      const report = recorder.stop();
      if (report.stay.count === 0 && report.upstream.count === 0) return;
      const line: LegsLine = { pid: process.pid, script: basename(process.argv[1] ?? 'node'), report };
      appendFileSync(out, `${JSON.stringify(line)}\n`);
    }, toMs + 500).unref();
  }
}
