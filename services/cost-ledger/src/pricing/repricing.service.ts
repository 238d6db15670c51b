import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import Decimal from 'decimal.js';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { ulid } from 'ulid';
import { InjectDataSource } from '@tollgate/persistence';
import type { PriceCatalog } from '@tollgate/pricing';
import { BudgetMonitor } from '../budgets/budget-monitor';
import { RepriceJob } from './entities/reprice-job.entity';
import { PriceBook, priceCall } from './price-book';

export interface RepriceRequest {
  tenantId: string;
  from: Date;
  to: Date;
  provider?: string | null;
  model?: string | null;
}

/** Rows re-priced per transaction: keeps row locks short while a large range is worked through. */
const CHUNK = 1000;

interface LockedRow {
  id: string;
  tenant_id: string;
  user_id: string | null;
  api_key_id: string;
  agent_id: string | null;
  workflow_execution_id: string | null;
  provider: string;
  model: string;
  response_model: string | null;
  input_tokens: number;
  output_tokens: number;
  cached_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  usd_cost: string | null;
  price_version: string | null;
  price_source: string | null;
  cost_mismatch: boolean;
  occurred_at: Date;
}

/** Per aggregate row: how re-pricing moved it. Calls and tokens never change, only money and flags. */
interface AggregateDelta {
  usd: Decimal;
  unpriced: number;
  mismatch: number;
}

/**
 * Re-prices recorded calls with the prices now in effect for their dates (after a correction of
 * the default catalog or of a tenant's custom price). Idempotent twice over: the same request with
 * the same prices is one recorded job (its idempotency key includes the price fingerprint), and
 * running it again would change nothing, because each row is priced from its own facts. Daily
 * aggregates move by the rows' deltas, which commute with concurrent inserts.
 */
@Injectable()
export class RepricingService {
  private readonly logger = new Logger('RepricingService');

  constructor(
    @InjectDataSource('cost-ledger') private readonly dataSource: DataSource,
    private readonly prices: PriceBook,
    private readonly budgets: BudgetMonitor,
  ) {}

  async reprice(request: RepriceRequest): Promise<RepriceJob> {
    const catalog = await this.prices.catalogFor(request.tenantId);
    const fingerprint = this.prices.fingerprint(catalog);
    const key = createHash('sha256')
      .update(JSON.stringify([request.tenantId, request.provider ?? null, request.model ?? null, request.from.toISOString(), request.to.toISOString(), fingerprint]))
      .digest('hex');
    const jobs = this.dataSource.getRepository(RepriceJob);
    await this.dataSource.query(
      `INSERT INTO reprice_jobs (id, tenant_id, idempotency_key, provider, model, from_time, to_time, price_fingerprint, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running') ON CONFLICT (idempotency_key) DO NOTHING`,
      [`rpj_${ulid()}`, request.tenantId, key, request.provider ?? null, request.model ?? null, request.from, request.to, fingerprint],
    );
    const job = await jobs.findOneByOrFail({ idempotencyKey: key });
    // Completed: the same correction was already applied. Running or failed: (re)run it; pricing is deterministic.
    if (job.status === 'completed') return job;
    try {
      const totals = await this.run(request, catalog);
      await jobs.update({ id: job.id }, { status: 'completed', rowsExamined: totals.examined, rowsChanged: totals.changed, usdDelta: totals.usdDelta.toFixed(), error: null, finishedAt: new Date() });
    } catch (error) {
      await jobs.update({ id: job.id }, { status: 'failed', error: error instanceof Error ? error.message : String(error), finishedAt: new Date() });
      this.logger.error(`re-pricing job ${job.id} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.budgets.spendChanged([request.tenantId]);
    return jobs.findOneByOrFail({ id: job.id });
  }

  /**
   * A correction of Tollgate's default catalog: re-prices every tenant's calls of that model in the
   * range (one recorded job per tenant). For operators shipping a corrected catalog version.
   */
  async repriceAllTenants(request: Omit<RepriceRequest, 'tenantId'>): Promise<RepriceJob[]> {
    const tenants = (await this.dataSource.query(
      `SELECT DISTINCT tenant_id FROM model_cost_logs WHERE occurred_at >= $1 AND occurred_at < $2 AND ($3::text IS NULL OR provider = $3) AND ($4::text IS NULL OR model = $4 OR response_model = $4)`,
      [request.from, request.to, request.provider ?? null, request.model ?? null],
    )) as Array<{ tenant_id: string }>;
    const jobs: RepriceJob[] = [];
    for (const { tenant_id } of tenants) jobs.push(await this.reprice({ ...request, tenantId: tenant_id }));
    return jobs;
  }

  private async run(request: RepriceRequest, catalog: PriceCatalog): Promise<{ examined: number; changed: number; usdDelta: Decimal }> {
    let cursor: { at: Date; id: string } | null = null;
    const totals = { examined: 0, changed: 0, usdDelta: new Decimal(0) };
    for (;;) {
      const chunk: { last: { at: Date; id: string } | null; examined: number; changed: number; usdDelta: Decimal } = await this.dataSource.transaction((manager) => this.repriceChunk(manager, request, catalog, cursor));
      totals.examined += chunk.examined;
      totals.changed += chunk.changed;
      totals.usdDelta = totals.usdDelta.plus(chunk.usdDelta);
      if (!chunk.last) return totals;
      cursor = chunk.last;
    }
  }

  private async repriceChunk(manager: EntityManager, request: RepriceRequest, catalog: PriceCatalog, cursor: { at: Date; id: string } | null) {
    const rows = (await manager.query(
      `SELECT id, tenant_id, user_id, api_key_id, agent_id, workflow_execution_id, provider, model, response_model,
              input_tokens, output_tokens, cached_read_tokens, cache_write_tokens, reasoning_tokens,
              usd_cost, price_version, price_source, cost_mismatch, occurred_at
       FROM model_cost_logs
       WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3
         AND ($4::text IS NULL OR provider = $4) AND ($5::text IS NULL OR model = $5 OR response_model = $5)
         AND ($6::timestamptz IS NULL OR (occurred_at, id) > ($6, $7))
       ORDER BY occurred_at, id
       LIMIT ${CHUNK}
       FOR UPDATE`,
      [request.tenantId, request.from, request.to, request.provider ?? null, request.model ?? null, cursor?.at ?? null, cursor?.id ?? ''],
    )) as LockedRow[];
    const last = rows.length === CHUNK ? { at: rows[CHUNK - 1].occurred_at, id: rows[CHUNK - 1].id } : null;
    const changes = rows.flatMap((row) => {
      const price = priceCall(catalog, {
        provider: row.provider,
        model: row.model,
        responseModel: row.response_model,
        usage: { inputTokens: row.input_tokens, outputTokens: row.output_tokens, cachedReadTokens: row.cached_read_tokens, cacheWriteTokens: row.cache_write_tokens, reasoningTokens: row.reasoning_tokens },
        occurredAt: row.occurred_at,
      });
      const same = (price.usdCost === null ? row.usd_cost === null : row.usd_cost !== null && new Decimal(row.usd_cost).equals(price.usdCost)) && price.priceVersion === row.price_version && price.priceSource === row.price_source;
      return same ? [] : [{ row, price }];
    });
    let usdDelta = new Decimal(0);
    if (changes.length) {
      const updated = (await manager.query(
        `UPDATE model_cost_logs m
         SET usd_cost = c.usd_cost, price_status = c.price_status, price_version = c.price_version, price_source = c.price_source, repriced_at = now()
         FROM unnest($1::text[], $2::numeric[], $3::text[], $4::text[], $5::text[]) AS c(id, usd_cost, price_status, price_version, price_source)
         WHERE m.id = c.id
         RETURNING m.id, m.cost_mismatch`,
        [changes.map((c) => c.row.id), changes.map((c) => c.price.usdCost), changes.map((c) => c.price.priceStatus), changes.map((c) => c.price.priceVersion), changes.map((c) => c.price.priceSource)],
      )) as [Array<{ id: string; cost_mismatch: boolean }>, number];
      const mismatchNow = new Map(updated[0].map((r) => [r.id, r.cost_mismatch]));
      const deltas = new Map<string, AggregateDelta & { tenant: string; dimension: string; key: string; day: string }>();
      for (const { row, price } of changes) {
        const usd = new Decimal(price.usdCost ?? 0).minus(row.usd_cost ?? 0);
        usdDelta = usdDelta.plus(usd);
        const unpriced = (price.usdCost === null ? 1 : 0) - (row.usd_cost === null ? 1 : 0);
        const mismatch = (mismatchNow.get(row.id) ? 1 : 0) - (row.cost_mismatch ? 1 : 0);
        const day = row.occurred_at.toISOString().slice(0, 10);
        const dims: Array<[string, string]> = [
          ['tenant', ''],
          ['user', row.user_id ?? ''],
          ['api_key', row.api_key_id],
          ['agent', row.agent_id ?? ''],
          ['model', `${row.provider}/${row.model}`],
          ['workflow', row.workflow_execution_id ?? ''],
        ];
        for (const [dimension, key] of dims) {
          const id = JSON.stringify([dimension, key, day]);
          const delta = deltas.get(id) ?? { tenant: row.tenant_id, dimension, key, day, usd: new Decimal(0), unpriced: 0, mismatch: 0 };
          delta.usd = delta.usd.plus(usd);
          delta.unpriced += unpriced;
          delta.mismatch += mismatch;
          deltas.set(id, delta);
        }
      }
      const list = [...deltas.values()].sort((a, b) => (a.dimension + a.key + a.day < b.dimension + b.key + b.day ? -1 : 1));
      await manager.query(
        `INSERT INTO daily_cost_aggregates AS a (tenant_id, dimension, key, day, usd_cost, unpriced_calls, cost_mismatch_calls)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::numeric[], $6::bigint[], $7::bigint[])
         ON CONFLICT (tenant_id, dimension, key, day) DO UPDATE SET
           usd_cost = a.usd_cost + EXCLUDED.usd_cost,
           unpriced_calls = a.unpriced_calls + EXCLUDED.unpriced_calls,
           cost_mismatch_calls = a.cost_mismatch_calls + EXCLUDED.cost_mismatch_calls`,
        [list.map((d) => d.tenant), list.map((d) => d.dimension), list.map((d) => d.key), list.map((d) => d.day), list.map((d) => d.usd.toFixed()), list.map((d) => d.unpriced), list.map((d) => d.mismatch)],
      );
    }
    return { last, examined: rows.length, changed: changes.length, usdDelta };
  }
}
