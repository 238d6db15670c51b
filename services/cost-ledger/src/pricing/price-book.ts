import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { InjectDataSource } from '@tollgate/persistence';
import { PriceCatalog, costOf, defaultPriceCatalog, normaliseDecimal } from '@tollgate/pricing';
import type { ModelPrice, TokenUsage } from '@tollgate/pricing';
import { TenantPrice } from './entities/tenant-price.entity';

/** What the ledger records about the price of one call. */
export interface CallPrice {
  usdCost: string | null;
  priceStatus: 'priced' | 'unpriced';
  priceVersion: string | null;
  priceSource: 'default' | 'tenant' | null;
}

/** The call facts pricing needs: a cost row or an llm.call event both provide them. */
export interface PricedCallFacts {
  provider: string;
  /** The model the call was routed to (for Azure: the deployment name). */
  model: string;
  /** The model the provider's response named (Azure names the underlying model here). */
  responseModel: string | null;
  usage: TokenUsage;
  occurredAt: Date;
}

export function tenantPriceVersion(id: string): string {
  return `tenant@${id}`;
}

function decimalOrNull(value: string | null): string | null {
  return value === null ? null : normaliseDecimal(value);
}

export function tenantPriceToModelPrice(row: TenantPrice): ModelPrice {
  return {
    provider: row.provider,
    model: row.model,
    effectiveFrom: row.effectiveFrom.toISOString(),
    input: normaliseDecimal(row.input),
    output: normaliseDecimal(row.output),
    cachedRead: decimalOrNull(row.cachedRead),
    cacheWrite: decimalOrNull(row.cacheWrite),
    reasoning: decimalOrNull(row.reasoning),
    batchInput: decimalOrNull(row.batchInput),
    batchOutput: decimalOrNull(row.batchOutput),
    contextWindow: row.contextWindow,
    maxOutputTokens: row.maxOutputTokens,
    source: row.note ? `tenant: ${row.note}` : 'tenant: custom price',
    sourceDate: row.createdAt.toISOString().slice(0, 10),
    version: tenantPriceVersion(row.id),
    origin: 'tenant',
  };
}

/** Prices one call: the entry in effect at its time, tried by routed model then response model; unpriced (null), never $0, when none. */
export function priceCall(catalog: PriceCatalog, call: PricedCallFacts): CallPrice {
  const price = catalog.findAny(call.provider, [call.model, call.responseModel], call.occurredAt);
  if (!price) return { usdCost: null, priceStatus: 'unpriced', priceVersion: null, priceSource: null };
  const cost = costOf(call.usage, price);
  return { usdCost: cost.usd, priceStatus: 'priced', priceVersion: cost.priceVersion, priceSource: price.origin };
}

/**
 * The price catalogs of tenants: the default catalog with each tenant's custom prices on top.
 * Read from Postgres per batch (one query for all the batch's tenants), so a custom price set on
 * one cost-ledger replica applies on every replica from its next batch.
 */
@Injectable()
export class PriceBook {
  readonly defaults: PriceCatalog = defaultPriceCatalog();

  constructor(@InjectDataSource('cost-ledger') private readonly dataSource: DataSource) {}

  async catalogsFor(tenantIds: readonly string[]): Promise<Map<string, PriceCatalog>> {
    const unique = [...new Set(tenantIds)];
    const rows = unique.length ? await this.dataSource.getRepository(TenantPrice).find({ where: { tenantId: In(unique) }, order: { createdAt: 'ASC', id: 'ASC' } }) : [];
    const byTenant = new Map<string, TenantPrice[]>();
    for (const row of rows) {
      const list = byTenant.get(row.tenantId) ?? [];
      list.push(row);
      byTenant.set(row.tenantId, list);
    }
    return new Map(unique.map((tenantId) => [tenantId, this.defaults.withOverrides((byTenant.get(tenantId) ?? []).map(tenantPriceToModelPrice))]));
  }

  async catalogFor(tenantId: string): Promise<PriceCatalog> {
    return (await this.catalogsFor([tenantId])).get(tenantId) ?? this.defaults;
  }

  /** Identifies the prices a tenant's calls are priced with: changes whenever the catalog or a custom price changes. */
  fingerprint(catalog: PriceCatalog): string {
    const versions = catalog
      .entries()
      .map((p) => `${p.version}|${p.provider}|${p.model}|${p.effectiveFrom}`)
      .sort();
    return createHash('sha256').update(versions.join('\n')).digest('hex').slice(0, 32);
  }
}
