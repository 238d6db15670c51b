import { execFileSync, fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import type { ListeningMessage } from './protocol';

/**
 * The processes of one benchmark run and their /proc readings. Every process started here is
 * tracked, and stopAll() ends each one (its process group for the gateway, whose embedded
 * Postgres runs as its children), so a failed run leaves nothing behind.
 */

export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  hasExited(): boolean;
  /** The last lines it printed (spawned processes only), for error messages. */
  output(): string;
}

const running = new Set<BenchProcess & { group: boolean }>();
let watchdog: ChildProcess | undefined;

/** The watchdog ends guarded process groups if this process dies without stopping them. */
function guard(message: { guard: number } | { release: number }): void {
  if (!watchdog) {
    watchdog = fork(join(__dirname, 'watchdog.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    watchdog.unref();
    watchdog.channel?.unref();
  }
  if (watchdog.connected) watchdog.send(message);
}

function track(name: string, child: ChildProcess, group: boolean, output: () => string = () => ''): BenchProcess {
  if (child.pid === undefined) throw new Error(`${name}: the process did not start`);
  let done = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      done = true;
      resolve();
    });
  });
  const tracked = { name, pid: child.pid, child, exited, hasExited: () => done, output, group };
  running.add(tracked);
  return tracked;
}

/**
 * Nice value of the stand-ins for services that run on other machines in production (the Kafka
 * broker, the OTLP collector): the lowest CPU priority, so that when the two CPUs are contended
 * they wait for the measured processes (generator, upstream, targets) instead of taking a CPU
 * from them. Only the gateway uses them, so this is in the gateway's favour: it removes a cost of
 * the test doubles, not of the gateway (docs/benchmarks.md, eighteenth session).
 */
export const REMOTE_STAND_IN_NICE = 19;

/**
 * Forks a compiled sibling script that reports its port with a ListeningMessage; `nice`: its
 * scheduling priority (setpriority; only ever lowered, which needs no privilege).
 */
export async function forkServer(name: string, script: string, env: Record<string, string> = {}, nice?: number): Promise<{ process: BenchProcess; origin: string }> {
  const child = fork(join(__dirname, script), [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  if (nice !== undefined && child.pid !== undefined) setPriority(child.pid, nice);
  const tracked = track(name, child, false);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start listening within 10 s`)), 10_000);
    child.once('exit', (code) => reject(new Error(`${name} exited (code ${code}) before listening`)));
    child.on('message', (message: ListeningMessage) => {
      if (message.type !== 'listening') return;
      clearTimeout(timer);
      resolve(message.port);
    });
  });
  return { process: tracked, origin: `http://127.0.0.1:${port}` };
}

/** Forks a compiled sibling script that talks over IPC only. */
export function forkWorker(name: string, script: string): BenchProcess {
  return track(name, fork(join(__dirname, script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] }), false);
}

/**
 * Spawns a Node program in its own process group, keeping the last lines it prints. Its own
 * children (the gateway's Postgres) share the group, so stopping the group stops them too.
 */
export function spawnNode(name: string, args: string[], options: { cwd: string; env: Record<string, string> }): BenchProcess {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const tee = process.env['BENCH_PROCESS_LOG'] ? `${process.env['BENCH_PROCESS_LOG']}.${name}` : undefined;
  const keep = (chunk: Buffer): void => {
    if (tee) appendFileSync(tee, chunk);
    lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const tracked = track(name, child, true, () => lines.join('\n'));
  guard({ guard: tracked.pid });
  return tracked;
}

/** Sends a signal (0: only checks that something is there); false when nothing was. */
function signal(pid: number, group: boolean, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(group ? -pid : pid, name);
    return true;
  } catch {
    return false; // already gone
  }
}

/** SIGTERM, then SIGKILL after graceMs; for a group, also whatever of the group outlived its leader. */
async function stop(tracked: BenchProcess & { group: boolean }, graceMs: number): Promise<void> {
  if (!tracked.hasExited()) {
    signal(tracked.pid, false, 'SIGTERM');
    await Promise.race([tracked.exited, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    if (!tracked.hasExited()) signal(tracked.pid, tracked.group, 'SIGKILL');
    await tracked.exited;
  }
  if (tracked.group && signal(tracked.pid, true, 0)) {
    // The leader exited but some of its group (a Postgres child) did not: give it a moment, then end it.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    signal(tracked.pid, true, 'SIGKILL');
  }
  if (tracked.group) guard({ release: tracked.pid });
  running.delete(tracked);
}

export async function stopProcess(process: BenchProcess, graceMs = 8_000): Promise<void> {
  const tracked = [...running].find((candidate) => candidate.pid === process.pid);
  if (tracked) await stop(tracked, graceMs);
}

/** Stops every process this run started; the gateway first gets time to stop Postgres cleanly. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((tracked) => stop(tracked, tracked.group ? 12_000 : 3_000)));
}

// ---- /proc readings -------------------------------------------------------------------------

export const CLOCK_TICKS_PER_SECOND = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat after the command name: [0] is field 3 (state). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of one process, in seconds. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return NaN;
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds of every live descendant of pid (with their reaped children), pid itself excluded. */
export function descendantsCpuSeconds(pid: number): number {
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (!fields) continue;
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
  }
  let total = 0;
  const pending = [...(children.get(pid) ?? [])];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    total += ticks.get(next) ?? 0;
    pending.push(...(children.get(next) ?? []));
  }
  return total / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size in bytes, or undefined once the process is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface RssSample {
  atMs: number;
  bytes: number;
}

/** Samples the RSS of some processes every intervalMs until stopped. */
export class RssSampler {
  private readonly samples = new Map<string, RssSample[]>();
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();

  constructor(private readonly processes: ReadonlyArray<{ name: string; pid: number }>) {}

  start(intervalMs: number): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  of(name: string): RssSample[] {
    return this.samples.get(name) ?? [];
  }

  private sample(): void {
    const atMs = Date.now() - this.startedAt;
    for (const { name, pid } of this.processes) {
      const bytes = rssBytes(pid);
      if (bytes === undefined) continue;
      const samples = this.samples.get(name) ?? [];
      samples.push({ atMs, bytes });
      this.samples.set(name, samples);
    }
  }
}

/**
 * Waits until pid and its descendants use under 10% of a core over half a second, or maxMs passed:
 * a target's after-work (a backlog, events, Postgres writes) must not land in the next measurement.
 */
export async function settle(pid: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  const treeCpu = (): number => cpuSeconds(pid) + descendantsCpuSeconds(pid);
  let before = treeCpu();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = treeCpu();
    if (!(now - before > 0.05)) return; // also stops when the process is gone (NaN)
    before = now;
  }
}

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
