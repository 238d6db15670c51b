import Decimal from 'decimal.js';

/**
 * Counters hold integer micro-dollars: Redis increments integers exactly, and Lua's doubles are
 * exact below 2^53 micro-dollars (about $9 billion), far above any budget.
 * Estimates and actual costs round up and limits round down, so rounding never admits a call the
 * exact figures would refuse.
 */
export function usdToMicros(usd: string, rounding: 'up' | 'down'): number {
  const value = new Decimal(usd);
  if (!value.isFinite() || value.isNegative()) throw new RangeError(`not a non-negative USD amount: ${usd}`);
  const micros = value.mul(1_000_000)[rounding === 'up' ? 'ceil' : 'floor']();
  if (micros.greaterThan(Number.MAX_SAFE_INTEGER)) throw new RangeError(`USD amount too large for a budget counter: ${usd}`);
  return micros.toNumber();
}

export function microsToUsd(micros: number): string {
  return new Decimal(micros).div(1_000_000).toFixed();
}
