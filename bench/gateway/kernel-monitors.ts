import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Kernel work that takes a CPU away from the benchmark's processes at fixed intervals, and so
 * shows in every target's p99: the DAMON memory-access monitor (kdamond). On the 2-vCPU AMD EPYC
 * machines of the thirteenth session a kdamond watched physical memory (paddr) with a 500 ms
 * sampling interval and a pageout scheme; `perf sched timehist` showed it running 12–16 ms on one of
 * the two CPUs every ~0.54 s, and the gateway's latencies at 1,000 req/s had clusters of slow
 * requests at the same period. With it switched off for one gateway-only run, the gateway's p99
 * at 1,000 req/s was 5.6 / 5.9 ms (two rounds), against 7.6–23.8 ms (mostly 9–13) in that
 * session's runs with it on (docs/benchmarks.md).
 */

export interface Kdamond {
  /** The monitored address space per context: paddr (physical memory), vaddr or fvaddr (processes). */
  operations: string[];
  /** Sampling interval of the first context, µs (how often kdamond wakes to check access bits). */
  sampleUs?: number;
  /** What its schemes do to the memory they match (pageout, lru_prio, stat, ...). */
  actions: string[];
}

const DAMON_ADMIN = '/sys/kernel/mm/damon/admin/kdamonds';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function entries(path: string): string[] {
  try {
    return readdirSync(path).filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
}

/** The kdamonds that are on, from DAMON's sysfs interface (none where it is absent or unreadable). */
export function runningKdamonds(root = DAMON_ADMIN): Kdamond[] {
  const running: Kdamond[] = [];
  for (const id of entries(root)) {
    const kdamond = join(root, id);
    if (read(join(kdamond, 'state')) !== 'on') continue;
    const contexts = entries(join(kdamond, 'contexts')).map((context) => join(kdamond, 'contexts', context));
    const sample = contexts.length > 0 ? Number(read(join(contexts[0], 'monitoring_attrs', 'intervals', 'sample_us'))) : NaN;
    running.push({
      operations: contexts.map((context) => read(join(context, 'operations')) ?? 'unknown'),
      sampleUs: Number.isFinite(sample) && sample > 0 ? sample : undefined,
      actions: contexts.flatMap((context) => entries(join(context, 'schemes')).map((scheme) => read(join(context, 'schemes', scheme, 'action')) ?? 'unknown')),
    });
  }
  return running;
}

/** One sentence for the report's machine line, or '' when no kdamond runs. */
export function describeKdamonds(kdamonds: Kdamond[]): string {
  if (kdamonds.length === 0) return '';
  const each = kdamonds.map((k) => {
    const every = k.sampleUs === undefined ? '' : `, sampling every ${k.sampleUs >= 1000 ? `${k.sampleUs / 1000} ms` : `${k.sampleUs} µs`}`;
    const schemes = k.actions.length > 0 ? `, schemes: ${k.actions.join(', ')}` : '';
    return `${k.operations.join('+')}${every}${schemes}`;
  });
  return (
    ` **The kernel's DAMON memory monitor runs here (${kdamonds.length === 1 ? 'kdamond' : `${kdamonds.length} kdamonds`}: ${each.join('; ')}):** ` +
    'on the machines where it was measured it took one of the two CPUs for 12–16 ms at each sampling interval, which puts clusters of slow requests into every target\'s p99 ' +
    '(bench/gateway/kernel-monitors.ts).'
  );
}
