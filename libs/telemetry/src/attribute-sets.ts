import { diag } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';

/**
 * Metric attribute sets for the hot path, built once and reused.
 *
 * The metrics SDK keys every recorded point by a hash of its attributes: `Object.keys`, a sort, a
 * map to pairs and a `JSON.stringify`, per point. The gateway records four or five points per
 * call, and that hashing was ~10% of all the bytes it allocated per call (bench:gateway, sampling
 * heap profile) for attribute sets that take a handful of distinct values. An interned set is
 * frozen, so the SDK's hash of it can be kept (`memoizeFrozenAttributeHashes`), and it is built
 * once per distinct key instead of once per call.
 */
export class AttributeSets {
  private readonly sets = new Map<string, Readonly<Attributes>>();

  /** `limit`: distinct sets kept before starting over (the SDK's own cardinality limit is 2,000 per metric). */
  constructor(private readonly limit = 2000) {}

  /** The frozen set for `key`, built by `build` the first time (`key` must determine everything `build` returns). */
  get(key: string, build: () => Attributes): Readonly<Attributes> {
    let set = this.sets.get(key);
    if (set === undefined) {
      if (this.sets.size >= this.limit) this.sets.clear();
      set = Object.freeze(build());
      this.sets.set(key, set);
    }
    return set;
  }
}

/** Derived sets (the base plus one attribute), kept per frozen base set. */
export class DerivedAttributeSets {
  private readonly derived = new WeakMap<Readonly<Attributes>, Readonly<Attributes>>();

  constructor(private readonly extra: Attributes) {}

  /** `base` with the extra attributes; built once per base when `base` is frozen (an interned set). */
  of(base: Readonly<Attributes>): Readonly<Attributes> {
    if (!Object.isFrozen(base)) return { ...base, ...this.extra };
    let set = this.derived.get(base);
    if (set === undefined) {
      set = Object.freeze({ ...base, ...this.extra });
      this.derived.set(base, set);
    }
    return set;
  }
}

interface SdkMetricsUtils {
  hashAttributes(attributes: Attributes): string;
}

const MEMOIZED = Symbol.for('tollgate.otel.frozenAttributeHashes');

/**
 * Makes the metrics SDK hash a frozen attribute set once: its hash cannot change, so it is kept in
 * a WeakMap beside the set (collected with it). Sets that are not frozen are hashed as before.
 * The SDK reads `hashAttributes` off its utils module whenever it makes an attribute map (at each
 * collection), so this takes effect from the next collection at the latest. Returns false if
 * already applied, or if the SDK is laid out otherwise (@opentelemetry/sdk-metrics has no hook for
 * its hashing; this is its 2.x layout).
 */
export function memoizeFrozenAttributeHashes(): boolean {
  let utils: SdkMetricsUtils & { [MEMOIZED]?: true };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's internal module that owns the hash
    utils = require('@opentelemetry/sdk-metrics/build/src/utils') as SdkMetricsUtils & { [MEMOIZED]?: true };
  } catch (error) {
    // Another SDK layout: metrics work as before, only without the kept hashes.
    diag.warn('telemetry: @opentelemetry/sdk-metrics has no build/src/utils; frozen attribute sets are hashed on every point', error);
    return false;
  }
  if (utils[MEMOIZED] || typeof utils.hashAttributes !== 'function') return false;
  const original = utils.hashAttributes;
  const hashes = new WeakMap<Attributes, string>();
  utils.hashAttributes = (attributes: Attributes): string => {
    if (!Object.isFrozen(attributes)) return original(attributes);
    let hash = hashes.get(attributes);
    if (hash === undefined) {
      hash = original(attributes);
      hashes.set(attributes, hash);
    }
    return hash;
  };
  utils[MEMOIZED] = true;
  return true;
}
