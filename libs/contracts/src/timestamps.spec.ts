import { isoTimestamp } from './timestamps';

describe('isoTimestamp', () => {
  it('is Date#toISOString, for every millisecond of a second and across seconds, in any order', () => {
    const base = Date.UTC(2026, 10, 22, 6, 40, 59);
    const times = [...Array.from({ length: 2000 }, (_, i) => base + i), base + 999, base - 1, base, base + 1000, base - 86_400_001];
    for (const t of times) expect(isoTimestamp(t)).toBe(new Date(t).toISOString());
  });

  it('is Date#toISOString at the edges: the epoch, before it, leap days, years 1000 and 9999, outside them, fractions', () => {
    const random = Array.from({ length: 500 }, () => Math.floor((Math.random() - 0.3) * 8e12));
    const edges = [0, -1, 999, 1000, -1000, -1001, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(1000, 0, 1), Date.UTC(999, 11, 31, 23, 59, 59, 999), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), Date.UTC(-1, 0, 1), 1.5, 1_700_000_000_000.25];
    for (const t of [...edges, ...random]) expect(isoTimestamp(t)).toBe(new Date(t).toISOString());
  });
});
