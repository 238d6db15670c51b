/** What a held-rate search found: the highest rate held, and whether no rate above it was missed. */
export interface HeldRateOutcome {
  maxHeld: number | undefined;
  /** No miss was found above maxHeld: the target may hold more (the probes ran out first). */
  maxHeldIsLowerBound: boolean;
}

/** Rates the search probes: multiples of 50 from 1,000 req/s, of 10 below. */
function round(rate: number): number {
  return rate >= 1000 ? Math.round(rate / 50) * 50 : Math.round(rate / 10) * 10;
}

/**
 * The search for a target's highest rate held, one probe at a time: `next()` gives the rate to
 * probe (undefined once done), `record()` takes whether it was held. Starts from the highest fixed
 * rate held, steps up ×1.5 until a rate is missed, then bisects until the bounds are within 10%,
 * in at most `probes` probes.
 *
 * A miss bounds the search only once a second probe at that rate misses too: on this shared
 * machine one window in a few misses for reasons that are not the target's (a neighbour's burst),
 * and one such window, at a fixed rate or in the search, used to cap a target's figure at a
 * fraction of what it holds (a gateway "holding" 470 req/s in one run and 2,400 in the next).
 * Holds are not re-checked: noise makes a window slower, not faster.
 *
 * One probe at a time rather than a loop over probes, so that the bench can run the searches of
 * all targets in turn, probe by probe: each target's search then spans the same minutes of this
 * shared machine as the others', and their ratio is not one quiet and one busy quarter of an hour.
 */
export class HeldRateSearch {
  private low: number;
  /** The lowest rate missed twice. */
  private high: number | undefined;
  /** A rate above `low` missed once, to probe again before it counts. */
  private suspect: number | undefined;
  private budget: number;

  constructor(fixed: ReadonlyArray<{ rate: number; held: boolean }>, probes: number) {
    this.low = Math.max(0, ...fixed.filter((run) => run.held).map((run) => run.rate));
    const misses = fixed.filter((run) => run.rate > this.low && !run.held).map((run) => run.rate);
    this.suspect = misses.length > 0 ? Math.min(...misses) : undefined;
    this.budget = probes;
  }

  /** The next rate to probe, or undefined when the search is over. */
  next(): number | undefined {
    if (this.budget <= 0) return undefined;
    if (this.suspect !== undefined) return this.suspect;
    if (this.high === undefined) return round(Math.max(this.low, 100) * 1.5);
    if (this.high / Math.max(this.low, 1) <= 1.1) return undefined;
    const rate = round((this.low + this.high) / 2);
    return rate > this.low && rate < this.high ? rate : undefined;
  }

  record(rate: number, held: boolean): void {
    this.budget -= 1;
    const again = rate === this.suspect;
    this.suspect = undefined;
    if (held) this.low = Math.max(this.low, rate);
    else if (again) this.high = Math.min(this.high ?? rate, rate);
    else this.suspect = rate;
  }

  /** What the probes so far found. A miss not probed again (the probes ran out) still counts. */
  outcome(): HeldRateOutcome {
    return { maxHeld: this.low > 0 ? this.low : undefined, maxHeldIsLowerBound: this.high === undefined && this.suspect === undefined };
  }
}

/**
 * Runs the searches in turn, one probe of each per round, until all are over. A target for which
 * `stopped` is true (its process exited) is probed no more and keeps what its probes found.
 */
export async function runSearchesInTurn<T>(
  searches: ReadonlyMap<T, HeldRateSearch>,
  probe: (target: T, rate: number) => Promise<boolean>,
  stopped: (target: T) => boolean = () => false,
): Promise<void> {
  for (;;) {
    let probed = false;
    for (const [target, search] of searches) {
      const rate = search.next();
      if (rate === undefined || stopped(target)) continue;
      search.record(rate, await probe(target, rate));
      probed = true;
    }
    if (!probed) return;
  }
}

/**
 * The median of several searches' outcomes (the lower middle of an even count): one search's
 * figure moves by up to 2× between runs of the same code on this shared machine (the floor's held
 * 4,150 and 8,900 req/s in two runs, docs/benchmarks.md, twenty-fifth session), so a target's
 * figure is the middle of several independent searches. A search that held nothing counts as 0;
 * the median outcome keeps its own lower-bound flag. Undefined for no searches.
 */
export function medianOutcome(outcomes: readonly HeldRateOutcome[]): HeldRateOutcome | undefined {
  if (outcomes.length === 0) return undefined;
  const sorted = [...outcomes].sort((a, b) => (a.maxHeld ?? 0) - (b.maxHeld ?? 0));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
