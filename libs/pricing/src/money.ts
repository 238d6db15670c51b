import Decimal from 'decimal.js';

/**
 * A price per million tokens as Tollgate accepts it: a decimal string with at most 6 decimals.
 * Six is what keeps every cost exact in the ledger's numeric(24, 12) columns: tokens x price / 10^6
 * then has at most 12 decimals.
 */
export const PRICE_PATTERN = /^\d{1,9}(\.\d{1,6})?$/;

/** "0.002368000000" → "0.002368", "12.500" → "12.5", "3.000" → "3": how money reads in APIs and events. */
export function normaliseDecimal(value: string): string {
  return value.includes('.') ? value.replace(/\.?0+$/, '') : value;
}

/** Sum of decimal strings, exact. */
export function sumUsd(values: readonly string[]): string {
  return values.reduce((total, value) => total.plus(value), new Decimal(0)).toFixed();
}

/** Whether two figures differ by more than `tolerance` (a fraction) of `reference`. */
export function differsBeyond(reference: string, other: string, tolerance = '0.01'): boolean {
  const ref = new Decimal(reference);
  return new Decimal(other).minus(ref).abs().greaterThan(ref.mul(tolerance));
}
