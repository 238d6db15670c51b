import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InjectDataSource } from '@tollgate/persistence';
import { normaliseDecimal } from '@tollgate/pricing';
import type { CostSummaryDto, CostSummaryQuery, CostSummaryRowDto, UnpricedUsageDto } from './dto/costs.dto';

interface SumRow {
  key: string;
  calls: string;
  unpriced_calls: string;
  cost_mismatch_calls: string;
  input_tokens: string;
  output_tokens: string;
  cached_read_tokens: string;
  cache_write_tokens: string;
  reasoning_tokens: string;
  usd_cost: string;
  provider_cost_usd: string;
}

const SUMS = `sum(calls)::text AS calls, sum(unpriced_calls)::text AS unpriced_calls, sum(cost_mismatch_calls)::text AS cost_mismatch_calls,
  sum(input_tokens)::text AS input_tokens, sum(output_tokens)::text AS output_tokens, sum(cached_read_tokens)::text AS cached_read_tokens,
  sum(cache_write_tokens)::text AS cache_write_tokens, sum(reasoning_tokens)::text AS reasoning_tokens,
  sum(usd_cost)::text AS usd_cost, sum(provider_cost_usd)::text AS provider_cost_usd`;

function toRow(row: Omit<SumRow, 'key'>): Omit<CostSummaryRowDto, 'key'> {
  return {
    calls: Number(row.calls ?? 0),
    unpriced_calls: Number(row.unpriced_calls ?? 0),
    cost_mismatch_calls: Number(row.cost_mismatch_calls ?? 0),
    input_tokens: Number(row.input_tokens ?? 0),
    output_tokens: Number(row.output_tokens ?? 0),
    cached_read_tokens: Number(row.cached_read_tokens ?? 0),
    cache_write_tokens: Number(row.cache_write_tokens ?? 0),
    reasoning_tokens: Number(row.reasoning_tokens ?? 0),
    usd_cost: normaliseDecimal(row.usd_cost ?? '0'),
    provider_cost_usd: normaliseDecimal(row.provider_cost_usd ?? '0'),
  };
}

/** Reads the daily aggregates (never the raw rows), always within one tenant. */
@Injectable()
export class CostSummaryRepository {
  constructor(@InjectDataSource('cost-ledger') private readonly dataSource: DataSource) {}

  async summary(tenantId: string, query: CostSummaryQuery): Promise<CostSummaryDto> {
    // group_by=day reads the tenant-wide aggregate per day; the others read their own dimension.
    const dimension = query.group_by === 'day' ? 'tenant' : query.group_by;
    const keyExpr = query.group_by === 'day' ? `to_char(day, 'YYYY-MM-DD')` : 'key';
    const rows = (await this.dataSource.query(
      `SELECT ${keyExpr} AS key, ${SUMS} FROM daily_cost_aggregates
       WHERE tenant_id = $1 AND dimension = $2 AND day >= $3 AND day < $4
       GROUP BY 1 ORDER BY ${query.group_by === 'day' ? '1' : 'sum(usd_cost) DESC, 1'}`,
      [tenantId, dimension, query.from, query.to],
    )) as SumRow[];
    const [total] = (await this.dataSource.query(`SELECT ${SUMS} FROM daily_cost_aggregates WHERE tenant_id = $1 AND dimension = 'tenant' AND day >= $2 AND day < $3`, [tenantId, query.from, query.to])) as Array<Omit<SumRow, 'key'>>;
    return {
      object: 'cost_summary',
      group_by: query.group_by,
      from: query.from,
      to: query.to,
      currency: 'USD',
      data: rows.map((row) => ({ key: row.key === '' ? null : row.key, ...toRow(row) })),
      total: toRow(total),
    };
  }

  /** Models used without a price: what to add to the catalog or as custom prices. */
  async unpriced(tenantId: string, from: string | undefined, to: string | undefined): Promise<UnpricedUsageDto[]> {
    const rows = (await this.dataSource.query(
      `SELECT provider, model, count(*)::text AS calls, sum(input_tokens)::text AS input_tokens, sum(output_tokens)::text AS output_tokens,
              min(occurred_at) AS first_seen, max(occurred_at) AS last_seen
       FROM model_cost_logs
       WHERE tenant_id = $1 AND price_status = 'unpriced' AND ($2::timestamptz IS NULL OR occurred_at >= $2) AND ($3::timestamptz IS NULL OR occurred_at < $3)
       GROUP BY provider, model ORDER BY count(*) DESC, provider, model`,
      [tenantId, from ?? null, to ?? null],
    )) as Array<{ provider: string; model: string; calls: string; input_tokens: string; output_tokens: string; first_seen: Date; last_seen: Date }>;
    return rows.map((r) => ({ provider: r.provider, model: r.model, calls: Number(r.calls), input_tokens: Number(r.input_tokens), output_tokens: Number(r.output_tokens), first_seen: r.first_seen.toISOString(), last_seen: r.last_seen.toISOString() }));
  }
}
