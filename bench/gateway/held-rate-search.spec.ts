import { HeldRateSearch, medianOutcome, runSearchesInTurn } from './held-rate-search';

/**
 * Runs one search against a target that holds every rate up to `capacity`, except for the
 * probes `noisy` says missed anyway, and lists the rates it probed.
 */
function searchAgainst(
  capacity: number,
  fixed: Array<{ rate: number; held: boolean }>,
  probes = 12,
  noisy: (rate: number, index: number) => boolean = () => false,
): { rates: number[]; search: HeldRateSearch } {
  const search = new HeldRateSearch(fixed, probes);
  const rates: number[] = [];
  for (let rate = search.next(); rate !== undefined; rate = search.next()) {
    search.record(rate, rate <= capacity && !noisy(rate, rates.length));
    rates.push(rate);
  }
  return { rates, search };
}

describe('HeldRateSearch', () => {
  it('steps up ×1.5 from the highest fixed rate held, then bisects to within 10%, probing each miss twice', () => {
    const { rates, search } = searchAgainst(2600, [
      { rate: 500, held: true },
      { rate: 1000, held: true },
    ]);
    expect(rates).toEqual([1500, 2250, 3400, 3400, 2850, 2850, 2550, 2700, 2700]);
    expect(search.outcome()).toEqual({ maxHeld: 2550, maxHeldIsLowerBound: false });
  });

  it('bounds the search by a fixed-rate miss once a probe at that rate misses too', () => {
    const { rates, search } = searchAgainst(1400, [
      { rate: 500, held: true },
      { rate: 1000, held: true },
      { rate: 2000, held: false },
    ]);
    expect(rates).toEqual([2000, 1500, 1500, 1250, 1400]);
    expect(search.outcome()).toEqual({ maxHeld: 1400, maxHeldIsLowerBound: false });
  });

  it('does not let one noisy fixed-rate window cap the search', () => {
    const { rates, search } = searchAgainst(3000, [
      { rate: 500, held: true },
      { rate: 1000, held: false },
    ]);
    expect(rates.slice(0, 4)).toEqual([1000, 1500, 2250, 3400]);
    expect(search.outcome().maxHeld).toBe(3000);
  });

  it('does not let one noisy probe in the search cap it', () => {
    const { rates, search } = searchAgainst(3000, [{ rate: 1000, held: true }], 12, (rate, index) => rate === 2250 && index === 1);
    expect(rates).toEqual([1500, 2250, 2250, 3400, 3400, 2850, 3150, 3150, 3000]);
    expect(search.outcome()).toEqual({ maxHeld: 3000, maxHeldIsLowerBound: false });
  });

  it('reports a lower bound when the probes run out before a miss', () => {
    const { rates, search } = searchAgainst(100_000, [{ rate: 1000, held: true }], 3);
    expect(rates).toEqual([1500, 2250, 3400]);
    expect(search.outcome()).toEqual({ maxHeld: 3400, maxHeldIsLowerBound: true });
  });

  it('counts a miss it had no probe left to check again', () => {
    const { rates, search } = searchAgainst(2000, [{ rate: 1000, held: true }], 2);
    expect(rates).toEqual([1500, 2250]);
    expect(search.outcome()).toEqual({ maxHeld: 1500, maxHeldIsLowerBound: false });
  });

  it('bisects down from the first fixed miss when no rate was held, and finds none if nothing is', () => {
    const { rates, search } = searchAgainst(0, [{ rate: 200, held: false }], 7);
    expect(rates).toEqual([200, 100, 100, 50, 50, 30, 30]);
    expect(search.outcome()).toEqual({ maxHeld: undefined, maxHeldIsLowerBound: false });
  });
});

describe('runSearchesInTurn', () => {
  it('alternates the targets probe by probe until every search is over', async () => {
    const capacity = { floor: 3000, gateway: 2000 };
    const searches = new Map([
      ['floor', new HeldRateSearch([{ rate: 2000, held: true }], 4)],
      ['gateway', new HeldRateSearch([{ rate: 1000, held: true }], 2)],
    ] as const);
    const order: string[] = [];
    await runSearchesInTurn(searches, async (target, rate) => {
      order.push(`${target} ${rate}`);
      return rate <= capacity[target];
    });
    expect(order).toEqual(['floor 3000', 'gateway 1500', 'floor 4500', 'gateway 2250', 'floor 4500', 'floor 3750']);
    expect(searches.get('floor')!.outcome()).toEqual({ maxHeld: 3000, maxHeldIsLowerBound: false });
    expect(searches.get('gateway')!.outcome()).toEqual({ maxHeld: 1500, maxHeldIsLowerBound: false });
  });

  it('stops probing a target once it is stopped and keeps what its probes found', async () => {
    const searches = new Map([
      ['floor', new HeldRateSearch([{ rate: 1000, held: true }], 4)],
      ['gateway', new HeldRateSearch([{ rate: 1000, held: true }], 4)],
    ] as const);
    const order: string[] = [];
    let gatewayExited = false;
    await runSearchesInTurn(
      searches,
      async (target, rate) => {
        order.push(`${target} ${rate}`);
        if (target === 'gateway') gatewayExited = true;
        return true;
      },
      (target) => target === 'gateway' && gatewayExited,
    );
    expect(order).toEqual(['floor 1500', 'gateway 1500', 'floor 2250', 'floor 3400', 'floor 5100']);
    expect(searches.get('gateway')!.outcome()).toEqual({ maxHeld: 1500, maxHeldIsLowerBound: true });
  });
});

describe('medianOutcome', () => {
  const held = (maxHeld: number | undefined, maxHeldIsLowerBound = false) => ({ maxHeld, maxHeldIsLowerBound });

  it('takes the middle of an odd count, whatever their order', () => {
    expect(medianOutcome([held(8900), held(4150), held(6750)])).toEqual(held(6750));
    expect(medianOutcome([held(4150), held(6750), held(8900)])).toEqual(held(6750));
  });

  it('takes the lower middle of an even count', () => {
    expect(medianOutcome([held(3600), held(4500)])).toEqual(held(3600));
  });

  it('counts a search that held nothing as the lowest, and keeps the median search\'s lower-bound flag', () => {
    expect(medianOutcome([held(undefined), held(3000), held(2000)])).toEqual(held(2000));
    expect(medianOutcome([held(undefined), held(undefined), held(2000)])).toEqual(held(undefined));
    expect(medianOutcome([held(9000, true), held(3000), held(9000, true)])).toEqual(held(9000, true));
  });

  it('is undefined without searches', () => {
    expect(medianOutcome([])).toBeUndefined();
  });
});
