import type { ModelPrice } from './price';

function keyOf(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}

/**
 * Names to try for a model, most specific first: providers answer with dated snapshots
 * (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`) of the model the catalog prices.
 */
export function modelNameCandidates(model: string): string[] {
  const undated = model.replace(/-(\d{4}-\d{2}-\d{2}|\d{8})$/, '');
  return undated === model ? [model] : [model, undated];
}

/** Entries of one model ordered by effectiveFrom; an entry listed later wins a tie (a correction). */
class PriceHistory {
  private readonly entries: Array<{ from: number; price: ModelPrice }> = [];

  add(price: ModelPrice): void {
    this.entries.push({ from: Date.parse(price.effectiveFrom), price });
    // Stable sort: among equal effectiveFrom, insertion order is kept, so the last added wins below.
    this.entries.sort((a, b) => a.from - b.from);
  }

  at(instant: number): ModelPrice | undefined {
    let found: ModelPrice | undefined;
    for (const entry of this.entries) {
      if (entry.from <= instant) found = entry.price;
      else break;
    }
    return found;
  }

  all(): readonly ModelPrice[] {
    return this.entries.map((entry) => entry.price);
  }
}

/**
 * Prices by provider, model and date: each model has a history of entries, the one in effect at
 * a call's time prices it. Layers: a tenant's custom prices (withOverrides) are looked up before
 * the default catalog. A model with no price in effect is unpriced, never free.
 */
export class PriceCatalog {
  private readonly byModel = new Map<string, PriceHistory>();

  constructor(
    readonly version: string,
    prices: readonly ModelPrice[],
    private readonly fallback?: PriceCatalog,
  ) {
    for (const price of prices) {
      const key = keyOf(price.provider, price.model);
      let history = this.byModel.get(key);
      if (!history) this.byModel.set(key, (history = new PriceHistory()));
      history.add(price);
    }
  }

  /** The entry in effect for `model` at `at`: this layer first (exact name, then undated), then the fallback. */
  find(provider: string, model: string, at: Date = new Date()): ModelPrice | undefined {
    const instant = at.getTime();
    for (const name of modelNameCandidates(model)) {
      const price = this.byModel.get(keyOf(provider, name))?.at(instant);
      if (price) return price;
    }
    return this.fallback?.find(provider, model, at);
  }

  /** The first of several names (e.g. the routed model, then the model the response names) that has a price. */
  findAny(provider: string, models: readonly (string | null | undefined)[], at: Date = new Date()): ModelPrice | undefined {
    for (const model of models) {
      if (!model) continue;
      const price = this.find(provider, model, at);
      if (price) return price;
    }
    return undefined;
  }

  /** Every entry of this layer and the ones below, history included. */
  entries(): ModelPrice[] {
    const own = [...this.byModel.values()].flatMap((history) => history.all());
    return [...own, ...(this.fallback?.entries() ?? [])];
  }

  /** One entry per provider/model: the one in effect at `at` (custom prices hiding the default). */
  inEffect(at: Date = new Date()): ModelPrice[] {
    const seen = new Map<string, ModelPrice>();
    for (const price of this.entries()) {
      const key = keyOf(price.provider, price.model);
      if (seen.has(key)) continue;
      const current = this.find(price.provider, price.model, at);
      if (current && current.provider === price.provider && current.model === price.model) seen.set(key, current);
    }
    return [...seen.values()].sort((a, b) => a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
  }

  /** A catalog where `overrides` (a tenant's custom prices) are consulted before this one. */
  withOverrides(overrides: readonly ModelPrice[]): PriceCatalog {
    return overrides.length === 0 ? this : new PriceCatalog(this.version, overrides, this);
  }
}
