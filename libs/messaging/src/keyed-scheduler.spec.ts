import { KeyedScheduler } from './keyed-scheduler';
import type { MessageOrdering } from './keyed-scheduler';

/** A task the test finishes by hand. */
interface Task {
  id: string;
  key: string | null;
  finish: () => void;
  done: Promise<void>;
}

function task(id: string, key: string | null): Task {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { id, key, finish, done };
}

/** Lets promise callbacks (completions, pumps) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
}

function harness(limit: number, ordering?: MessageOrdering) {
  const started: string[] = [];
  const inFlightByKey = new Map<string | null, number>();
  const maxInFlightByKey = new Map<string | null, number>();
  const scheduler = new KeyedScheduler<Task>(
    limit,
    async (t) => {
      started.push(t.id);
      const now = (inFlightByKey.get(t.key) ?? 0) + 1;
      inFlightByKey.set(t.key, now);
      maxInFlightByKey.set(t.key, Math.max(maxInFlightByKey.get(t.key) ?? 0, now));
      try {
        await t.done;
      } finally {
        inFlightByKey.set(t.key, (inFlightByKey.get(t.key) ?? 1) - 1);
      }
    },
    (t) => t.key,
    { ordering },
  );
  return { started, scheduler, maxInFlightByKey };
}

describe('KeyedScheduler', () => {
  it('runs at most `limit` items at once, and starts nothing before pump()', async () => {
    const { started, scheduler } = harness(3);
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((key) => task(key, key));
    tasks.forEach((t) => scheduler.enqueue(t));
    expect(started).toEqual([]);

    scheduler.pump();
    expect(started).toEqual(['a', 'b', 'c']);
    expect(scheduler.inFlight).toBe(3);
    expect(scheduler.queued).toBe(2);

    tasks[1].finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    expect(scheduler.inFlight).toBe(3);
  });

  it('holds an item while an earlier one of its key is in flight, and lets other keys and keyless items pass', async () => {
    const { started, scheduler } = harness(10);
    const a1 = task('a1', 'a');
    const a2 = task('a2', 'a');
    const b1 = task('b1', 'b');
    const n1 = task('n1', null);
    const n2 = task('n2', null);
    [a1, a2, b1, n1, n2].forEach((t) => scheduler.enqueue(t));

    scheduler.pump();
    expect(started).toEqual(['a1', 'b1', 'n1', 'n2']);

    a1.finish();
    await settle();
    expect(started).toEqual(['a1', 'b1', 'n1', 'n2', 'a2']);
  });

  it('is a plain FIFO with limit 1', async () => {
    const { started, scheduler } = harness(1);
    const tasks = [task('a1', 'a'), task('b1', 'b'), task('a2', 'a'), task('n', null)];
    tasks.forEach((t) => scheduler.enqueue(t));
    scheduler.pump();
    for (const t of tasks) {
      t.finish();
      await settle();
    }
    expect(started).toEqual(['a1', 'b1', 'a2', 'n']);
    expect(scheduler.idle).toBe(true);
  });

  it('starts a released item before younger ones, so the oldest unfinished message is not starved', async () => {
    const { started, scheduler } = harness(2);
    const a1 = task('a1', 'a');
    const a2 = task('a2', 'a');
    const b1 = task('b1', 'b');
    const c1 = task('c1', 'c');
    [a1, a2, b1, c1].forEach((t) => scheduler.enqueue(t));
    scheduler.pump();
    expect(started).toEqual(['a1', 'b1']);

    a1.finish();
    await settle();
    // a2 arrived before c1: it goes first now that a1 is done.
    expect(started).toEqual(['a1', 'b1', 'a2']);
  });

  it('forgets queued items on clear() while those in flight finish, and frees their keys', async () => {
    const { started, scheduler } = harness(1);
    const a1 = task('a1', 'a');
    [a1, task('a2', 'a'), task('b1', 'b')].forEach((t) => scheduler.enqueue(t));
    scheduler.pump();
    scheduler.clear();
    expect(scheduler.queued).toBe(0);
    a1.finish();
    await settle();
    expect(scheduler.idle).toBe(true);

    const a3 = task('a3', 'a');
    scheduler.enqueue(a3);
    scheduler.pump();
    expect(started).toEqual(['a1', 'a3']);
  });

  it('passes a rejection to onError and carries on', async () => {
    const errors: string[] = [];
    const ran: string[] = [];
    const scheduler = new KeyedScheduler<string>(
      1,
      async (item) => {
        ran.push(item);
        if (item === 'bad') throw new Error('boom');
      },
      () => 'k',
      { onError: (error, item) => errors.push(`${item}: ${(error as Error).message}`) },
    );
    scheduler.enqueue('bad');
    scheduler.enqueue('good');
    scheduler.pump();
    await settle();
    await settle();
    expect(ran).toEqual(['bad', 'good']);
    expect(errors).toEqual(['bad: boom']);
  });

  describe("with ordering 'none'", () => {
    it('runs items of one key side by side, in arrival order, never more than `limit` at once', async () => {
      const { started, scheduler, maxInFlightByKey } = harness(3, 'none');
      expect(scheduler.ordering).toBe('none');
      const tasks = ['a1', 'a2', 'a3', 'a4', 'b1'].map((id) => task(id, id[0]));
      tasks.forEach((t) => scheduler.enqueue(t));

      scheduler.pump();
      expect(started).toEqual(['a1', 'a2', 'a3']);
      expect(scheduler.inFlight).toBe(3);
      expect(scheduler.queued).toBe(2);

      // Whichever finishes, the oldest waiting item goes next, whatever its key.
      tasks[2].finish();
      await settle();
      expect(started).toEqual(['a1', 'a2', 'a3', 'a4']);
      expect(scheduler.inFlight).toBe(3);

      for (const t of tasks) t.finish();
      await settle();
      await settle();
      expect(started).toEqual(['a1', 'a2', 'a3', 'a4', 'b1']);
      expect(scheduler.idle).toBe(true);
      expect(maxInFlightByKey.get('a')).toBe(3);
    });

    it('stays a plain FIFO with limit 1', async () => {
      const { started, scheduler, maxInFlightByKey } = harness(1, 'none');
      const tasks = [task('a1', 'a'), task('a2', 'a'), task('b1', 'b'), task('a3', 'a')];
      tasks.forEach((t) => scheduler.enqueue(t));
      scheduler.pump();
      for (const t of tasks) {
        expect(scheduler.inFlight).toBe(1);
        t.finish();
        await settle();
      }
      expect(started).toEqual(['a1', 'a2', 'b1', 'a3']);
      expect(maxInFlightByKey.get('a')).toBe(1);
    });

    it("keeps one key's items apart by default ('key')", () => {
      const { started, scheduler } = harness(3);
      expect(scheduler.ordering).toBe('key');
      ['a1', 'a2', 'a3'].forEach((id) => scheduler.enqueue(task(id, 'a')));
      scheduler.pump();
      expect(started).toEqual(['a1']);
    });
  });

  it('drains a large backlog in arrival order, in time linear in its size', async () => {
    /** Enqueues `total` items on `keys` keys at once, drains them 64 at a time, returns the start order and the time taken. */
    const drain = async (total: number, keys: number, ordering: MessageOrdering): Promise<{ started: number[]; ms: number }> => {
      const started: number[] = [];
      const scheduler = new KeyedScheduler<{ n: number; key: string }>(64, async (item) => void started.push(item.n), (item) => item.key, { ordering });
      for (let n = 0; n < total; n += 1) scheduler.enqueue({ n, key: `k${n % keys}` });
      const t0 = performance.now();
      scheduler.pump();
      while (!scheduler.idle) await new Promise((resolve) => setImmediate(resolve));
      return { started, ms: performance.now() - t0 };
    };
    const ascending = (ns: number[]): number[] => [...ns].sort((a, b) => a - b);

    // 200,000 queued at once: with Array.prototype.shift() (which copies a large array) this took
    // ~15 s of CPU; in a queue with O(1) shift well under a second.
    const backlog = await drain(200_000, 1, 'none');
    expect(backlog.started).toHaveLength(200_000);
    expect(backlog.started).toEqual(ascending(backlog.started));
    expect(backlog.ms).toBeLessThan(5_000);

    // Long per-key waiting lists (past the queue's compaction) keep each key's order.
    const keyed = await drain(15_000, 3, 'key');
    expect(keyed.started).toHaveLength(15_000);
    for (const key of [0, 1, 2]) {
      const ofKey = keyed.started.filter((n) => n % 3 === key);
      expect(ofKey).toEqual(ascending(ofKey));
    }
  });

  it('refuses an unknown ordering', () => {
    expect(() => new KeyedScheduler<string>(2, async () => undefined, () => null, { ordering: 'partition' as MessageOrdering })).toThrow("ordering must be 'key' or 'none'");
  });

  it('refuses a limit below 1', () => {
    expect(() => new KeyedScheduler<string>(0, async () => undefined, () => null)).toThrow('concurrency must be a whole number >= 1');
  });
});
