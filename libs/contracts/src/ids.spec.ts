import { decodeTime, ulid } from 'ulid';
import { UlidSchema } from './events/envelope';
import { newUlid } from './ids';

describe('newUlid', () => {
  it('spells a ULID whose time part ulid itself decodes to the time it was made for', () => {
    for (const time of [0, 1, 31, 32, 1_765_000_000_123, 2 ** 48 - 1]) {
      const id = newUlid(time);
      expect(UlidSchema.safeParse(id).success).toBe(true);
      expect(decodeTime(id)).toBe(time);
      // The same time part as ulid's own id for that time (ulid takes a time of 0 as "now").
      if (time > 0) expect(id.slice(0, 10)).toBe(ulid(time).slice(0, 10));
    }
    const before = Date.now();
    const now = decodeTime(newUlid());
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('sorts by time, and ids of one millisecond differ', () => {
    const ids = [3, 1, 2].map((t) => newUlid(1_765_000_000_000 + t));
    expect([...ids].sort()).toEqual([ids[1], ids[2], ids[0]]);
    const same = new Set(Array.from({ length: 10_000 }, () => newUlid(1_765_000_000_000)));
    expect(same.size).toBe(10_000);
  });

  it('draws each random character evenly from the 32', () => {
    const counts = new Map<string, number>();
    const n = 4_000;
    for (let i = 0; i < n; i++) for (const c of newUlid().slice(10)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(32);
    // 2,000 expected per character (64,000 draws); a chi-square over 31 degrees of freedom stays under 70 but once in ~10,000 runs.
    const expected = (n * 16) / 32;
    const chiSquare = [...counts.values()].reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(70);
  });

  it('refuses a time a ULID cannot hold', () => {
    for (const time of [-1, 1.5, 2 ** 48, Number.NaN]) expect(() => newUlid(time)).toThrow("a ULID's time must be an integer");
  });
});
