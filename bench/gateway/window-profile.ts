import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Session } from 'node:inspector/promises';
import type { Profiler } from 'node:inspector';
import type { Server } from 'node:http';
import { summarizeProfile } from './cpu-profile';

/**
 * A V8 CPU profile of one process over a window of the requests it serves, with the number of
 * requests and the process's CPU time in that window, so that time can be read per request and two
 * proxies of one bench run compared (docs/benchmarks.md, twenty-third session). Unlike
 * `--profile` (node --cpu-prof, the gateway's whole run), the window starts after a given number
 * of requests, past the JIT warm-up, and the preload profiles the floor and the gateway alike.
 *
 * Preloaded into every process of a run (diagnosis only); each process that serves its
 * BENCH_WINDOW_PROFILE_AFTER-th request profiles the next BENCH_WINDOW_PROFILE_MS and writes
 * `<BENCH_WINDOW_PROFILE_OUT>.<pid>.json` (the profile and the counts):
 *
 *   BENCH_WINDOW_PROFILE_OUT=/tmp/wp BENCH_WINDOW_PROFILE_AFTER=92000 BENCH_WINDOW_PROFILE_MS=8000 \
 *   NODE_OPTIONS="--require $PWD/dist/bench-gateway/window-profile.js" \
 *   npm run bench:gateway -- --no-docs --targets floor,gateway --rates 4000 --rounds 1 \
 *     --duration 12 --initial-warmup 20
 *   node dist/bench-gateway/window-profile.js /tmp/wp.*.json
 *
 * With those targets each proxy serves 80,000 warm-up requests and then 8,000 unmeasured ones
 * before its measured 4,000 req/s, so the window falls inside the measurement. The upstream
 * serves both and reaches the count earlier; its file is written too.
 */

export interface WindowProfileOptions {
  /** Requests served (node:http's `http.server.request.start`) before the profile starts. */
  afterRequests: number;
  durationMs: number;
  /** Sampling interval of V8's profiler, µs (default 250). */
  intervalUs?: number;
  /** Counts only the requests of this server (a process that serves on several). */
  server?: Server;
}

/** What one process wrote: its profile and what it served and spent while profiling. */
export interface WindowProfile {
  pid: number;
  /** The process's main script, e.g. `floor-proxy.js` or `main.js`. */
  script: string;
  /** Requests that arrived while the profiler ran. */
  requests: number;
  wallMs: number;
  /** The process's user + system CPU time over the window, all threads (µs). */
  cpuUs: number;
  profile: Profiler.Profile;
}

const SERVER_START = 'http.server.request.start';

/**
 * Counts the requests this process serves; once `afterRequests` have arrived, profiles it for
 * `durationMs` and resolves with the profile and the window's counts.
 */
export function profileWindow(options: WindowProfileOptions): Promise<WindowProfile> {
  return new Promise((resolveWindow, reject) => {
    let seen = 0;
    let profiling = false;
    const onStart = (message: unknown): void => {
      if (options.server && (message as { server?: Server }).server !== options.server) return;
      seen += 1;
      if (!profiling && seen >= options.afterRequests) {
        profiling = true;
        start().catch(reject);
      }
    };
    const start = async (): Promise<void> => {
      const session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: options.intervalUs ?? 250 });
      await session.post('Profiler.start');
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      const seenBefore = seen;
      await new Promise((wait) => setTimeout(wait, options.durationMs));
      const requests = seen - seenBefore;
      const { profile }: Profiler.StopReturnType = await session.post('Profiler.stop');
      const cpu = process.cpuUsage(cpuBefore);
      unsubscribe(SERVER_START, onStart);
      session.disconnect();
      resolveWindow({
        pid: process.pid,
        script: basename(process.argv[1] ?? 'node'),
        requests,
        wallMs: performance.now() - wallBefore,
        cpuUs: cpu.user + cpu.system,
        profile,
      });
    };
    subscribe(SERVER_START, onStart);
  });
}

export interface WindowCosts {
  requests: number;
  /** Main-thread time the profiler found busy, per request (µs). */
  busyUsPerRequest: number;
  /** The process's CPU time per request, all threads (µs). */
  cpuUsPerRequest: number;
  owners: { name: string; usPerRequest: number }[];
  functions: { name: string; usPerRequest: number }[];
}

/**
 * Busy time per request, by owner (the nearest package or repository folder on the stack) and by
 * function: each one's share of the busy samples times the busy part of the profile's span.
 */
export function windowCosts(window: WindowProfile, repoRoot: string, top = 25): WindowCosts {
  const summary = summarizeProfile(window.profile, repoRoot, top);
  const spanUs = window.profile.endTime - window.profile.startTime;
  const busyUs = summary.allSamples === 0 ? 0 : (spanUs * summary.busySamples) / summary.allSamples;
  const perRequest = (share: number): number => (window.requests === 0 ? Number.NaN : (share * busyUs) / window.requests);
  return {
    requests: window.requests,
    busyUsPerRequest: perRequest(1),
    cpuUsPerRequest: window.requests === 0 ? Number.NaN : window.cpuUs / window.requests,
    owners: summary.owners.map(({ name, share }) => ({ name, usPerRequest: perRequest(share) })),
    functions: summary.functions.map(({ name, share }) => ({ name, usPerRequest: perRequest(share) })),
  };
}

export function formatWindowCosts(window: WindowProfile, costs: WindowCosts): string[] {
  const us = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : '–');
  return [
    `${window.script} (${window.pid}): ${costs.requests} requests in ${(window.wallMs / 1000).toFixed(1)} s; µs per request: main thread busy ${us(costs.busyUsPerRequest)}, process CPU ${us(costs.cpuUsPerRequest)}`,
    `  by owner: ${costs.owners.map((o) => `${o.name} ${us(o.usPerRequest)}`).join(', ')}`,
    `  by function (self): ${costs.functions.map((f) => `${f.name} ${us(f.usPerRequest)}`).join(', ')}`,
  ];
}

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node dist/bench-gateway/window-profile.js <BENCH_WINDOW_PROFILE_OUT>.<pid>.json ...');
    process.exit(2);
  }
  const repoRoot = resolve(__dirname, '../..');
  for (const file of files) {
    const window = JSON.parse(readFileSync(file, 'utf8')) as WindowProfile;
    for (const line of formatWindowCosts(window, windowCosts(window, repoRoot))) console.log(line);
  }
} else if (process.env['BENCH_WINDOW_PROFILE_OUT']) {
  // As a preload (worker threads load it too; only the main thread serves the process's requests).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- only the preload needs it
  const { isMainThread } = require('node:worker_threads') as typeof import('node:worker_threads');
  if (isMainThread) {
    const out = process.env['BENCH_WINDOW_PROFILE_OUT'];
    void profileWindow({
      afterRequests: Number(process.env['BENCH_WINDOW_PROFILE_AFTER'] ?? 50_000),
      durationMs: Number(process.env['BENCH_WINDOW_PROFILE_MS'] ?? 8_000),
      intervalUs: Number(process.env['BENCH_WINDOW_PROFILE_INTERVAL_US'] ?? 250),
    })
      .then((window) => writeFileSync(`${out}.${window.pid}.json`, JSON.stringify(window)))
      // A diagnosis must not take the process down with an unhandled rejection.
      .catch((error: unknown) => console.error(`window-profile: no profile written: ${String(error)}`));
  }
}
