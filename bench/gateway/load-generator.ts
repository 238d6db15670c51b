import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { GeneratorMessage, LoadJob, LoadResult } from './protocol';
import { percentiles } from './rounds';

/**
 * Open-loop load generator, in its own process so that it never shares an event loop with a
 * target. Requests leave on a fixed schedule whatever the target does, and each one's latency
 * counts from its scheduled send time: a target that stalls is charged for every request that
 * should have left meanwhile (no coordinated omission). The first warmupSeconds are not measured.
 */

interface OriginPool {
  pool: Pool;
  connections: number;
  opened: number;
}

const pools = new Map<string, OriginPool>();

async function poolFor(origin: string, connections: number): Promise<OriginPool> {
  const existing = pools.get(origin);
  if (existing?.connections === connections) return existing;
  if (existing) await existing.pool.close();
  const entry: OriginPool = { pool: new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 }), connections, opened: 0 };
  entry.pool.on('connect', () => {
    entry.opened += 1;
  });
  pools.set(origin, entry);
  return entry;
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * One request through the pool's dispatch API: its status, the last 256 characters of its body,
 * and when its last byte came; `onFirstByte` when the first body byte came. Not pool.request():
 * its Readable body and async iterator cost the generator more CPU per request, and the generator
 * shares the machine's two cores with the target it measures.
 */
function post(pool: Pool, job: LoadJob, inFlight: Set<Dispatcher.DispatchController>, onFirstByte: () => void): Promise<{ status: number; tail: string; end: number }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let tail = '';
    let seen = false;
    let controller: Dispatcher.DispatchController | undefined;
    const done = (): void => {
      if (controller) inFlight.delete(controller);
    };
    pool.dispatch(
      { method: 'POST', path: job.path, headers: job.headers, body: job.body, headersTimeout: job.timeoutMs, bodyTimeout: job.timeoutMs },
      {
        onRequestStart: (started) => {
          controller = started;
          inFlight.add(started);
        },
        onResponseStart: (_controller, code) => {
          status = code;
        },
        onResponseData: (_controller, chunk) => {
          if (!seen) {
            seen = true;
            onFirstByte();
          }
          tail = (tail + chunk.toString('utf8')).slice(-256);
        },
        onResponseEnd: () => {
          done();
          resolve({ status, tail, end: performance.now() });
        },
        onResponseError: (_controller, error) => {
          done();
          reject(error);
        },
      },
    );
  });
}

/** True when a reply is a whole, successful completion (JSON with usage, or a stream that ended). */
function complete(stream: boolean, status: number, tail: string): boolean {
  return status === 200 && (stream ? tail.includes('data: [DONE]') : tail.includes('"usage"'));
}

async function run(job: LoadJob): Promise<LoadResult> {
  const origin = await poolFor(job.origin, job.connections);
  const interval = 1000 / job.ratePerSecond;
  const warmup = Math.round(job.ratePerSecond * job.warmupSeconds);
  const measured = Math.max(1, Math.round(job.ratePerSecond * job.durationSeconds));
  const total = warmup + measured;
  const latency = new Float64Array(measured).fill(NaN);
  const firstByte = new Float64Array(job.stream ? measured : 0).fill(NaN);
  const sendLag = new Float64Array(measured).fill(NaN);
  const failed = new Uint8Array(measured);
  const errorSamples = new Set<string>();
  /** Each request in flight, to stop the stragglers once the deadline after the last send passed. */
  const inFlightCalls = new Set<Dispatcher.DispatchController>();
  let inFlight = 0;
  let maxInFlight = 0;
  let queued = 0;
  let errors = 0;
  let lastEnd = 0;
  let openedBefore = 0;
  let cpuBefore = process.cpuUsage();
  let measureStart = 0;
  let next = 0;

  const fail = (index: number, reason: string): void => {
    if (index < 0) return;
    errors += 1;
    failed[index] = 1;
    if (errorSamples.size < 5) errorSamples.add(reason);
  };

  return new Promise<LoadResult>((resolve) => {
    let sendingDone = false;
    let deadline: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (!sendingDone || inFlight > 0) return;
      clearTimeout(deadline);
      const cpu = process.cpuUsage(cpuBefore);
      const windowMs = Math.max(job.durationSeconds * 1000, lastEnd - measureStart);
      const ok = measured - errors;
      let windows: LoadResult['windows'];
      if (job.windowSeconds) {
        const perWindow = Math.round(job.ratePerSecond * job.windowSeconds);
        windows = [];
        for (let from = 0; from < measured; from += perWindow) {
          const to = Math.min(measured, from + perWindow);
          windows.push({
            startSecond: from / job.ratePerSecond,
            latency: percentiles(latency.subarray(from, to)),
            errors: failed.subarray(from, to).reduce((sum, value) => sum + value, 0),
          });
        }
      }
      resolve({
        type: 'result',
        id: job.id,
        scheduled: measured,
        ok,
        errors,
        errorSamples: [...errorSamples],
        latency: percentiles(latency),
        ...(job.stream ? { firstByte: percentiles(firstByte) } : {}),
        sendLag: percentiles(sendLag),
        maxInFlight,
        queued,
        connectionsOpened: origin.opened - openedBefore,
        achievedRate: ok / (windowMs / 1000),
        generatorCpuShare: (cpu.user + cpu.system) / 1000 / windowMs,
        ...(windows ? { windows } : {}),
        ...(job.keepSamples ? { samples: Array.from(latency), samplesStartEpochMs: performance.timeOrigin + measureStart } : {}),
        ...(job.keepSamples && job.stream ? { firstByteSamples: Array.from(firstByte) } : {}),
      });
    };

    const fire = (index: number, scheduledAt: number, now: number): void => {
      const m = index - warmup; // negative during warm-up: sent, not measured
      if (m === 0) {
        measureStart = scheduledAt;
        openedBefore = origin.opened;
        cpuBefore = process.cpuUsage();
        send({ type: 'measuring', id: job.id });
      }
      if (m >= 0) {
        sendLag[m] = now - scheduledAt;
        if (inFlight >= origin.connections) queued += 1;
      }
      inFlight += 1;
      if (m >= 0) maxInFlight = Math.max(maxInFlight, inFlight);
      post(origin.pool, job, inFlightCalls, () => {
        if (m >= 0 && job.stream) firstByte[m] = performance.now() - scheduledAt;
      })
        .then(({ status, tail, end }) => {
          if (m < 0) return;
          if (!complete(job.stream, status, tail)) return fail(m, `HTTP ${status}: ${tail.slice(0, 160)}`);
          latency[m] = end - scheduledAt;
          lastEnd = Math.max(lastEnd, end);
        })
        .catch((error: unknown) => fail(m, describe(error)))
        .finally(() => {
          inFlight -= 1;
          finish();
        });
    };

    const start = performance.now() + 5;
    const tick = (): void => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        fire(next, start + next * interval, now);
        next += 1;
      }
      if (next < total) {
        setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
        return;
      }
      sendingDone = true;
      // Whatever is still unanswered this long after the last send is a timeout, not a straggler.
      deadline = setTimeout(() => {
        for (const controller of inFlightCalls) controller.abort(new Error(`no answer within ${job.timeoutMs} ms`));
      }, job.timeoutMs);
      finish();
    };
    setTimeout(tick, 5);
  });
}

function send(message: GeneratorMessage): void {
  process.send?.(message);
}

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.on('message', (job: LoadJob) => {
  void run(job).then(send);
});
