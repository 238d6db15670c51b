import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { CostRecordedV1 } from '@tollgate/contracts';
import type { LlmCallV1 } from '@tollgate/contracts';
import { EVENT_PUBLISHER } from '@tollgate/messaging';
import type { EventPublisher } from '@tollgate/messaging';
import { InjectDataSource } from '@tollgate/persistence';
import { normaliseDecimal } from '@tollgate/pricing';
import type { PriceCatalog } from '@tollgate/pricing';
import { BudgetMonitor } from '../budgets/budget-monitor';
import { rowId } from '../common/row-ids';
import { PriceBook, priceCall } from '../pricing/price-book';
import { ModelCostLog } from './entities/model-cost-log.entity';

/** `recorded`: this delivery wrote the call's row; `duplicate`: the row already existed (a redelivery). */
export type RecordOutcome = 'recorded' | 'duplicate';

/** A cost row as the batch insert writes it, before Postgres adds created_at and cost_mismatch. */
interface NewCostRow {
  id: string;
  callId: string;
  eventId: string;
  tenantId: string;
  userId: string | null;
  apiKeyId: string;
  agentId: string | null;
  workflowExecutionId: string | null;
  nodeId: string | null;
  sessionId: string | null;
  provider: string;
  model: string;
  requestedModel: string;
  operation: 'chat' | 'embeddings';
  responseModel: string | null;
  inputTokens: number;
  outputTokens: number;
  cachedReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  usageSource: 'provider' | 'estimated';
  usdCost: string | null;
  priceStatus: 'priced' | 'unpriced';
  priceVersion: string | null;
  priceSource: 'default' | 'tenant' | null;
  providerCostUsd: string | null;
  outcome: string;
  stream: boolean;
  occurredAt: string;
}

/** Column, Postgres array type, and how to read it from a row: the one list the insert below is built from. */
const COLUMNS: ReadonlyArray<readonly [column: string, type: string, field: keyof NewCostRow]> = [
  ['id', 'text', 'id'],
  ['call_id', 'text', 'callId'],
  ['event_id', 'text', 'eventId'],
  ['tenant_id', 'text', 'tenantId'],
  ['user_id', 'text', 'userId'],
  ['api_key_id', 'text', 'apiKeyId'],
  ['agent_id', 'text', 'agentId'],
  ['workflow_execution_id', 'text', 'workflowExecutionId'],
  ['node_id', 'text', 'nodeId'],
  ['session_id', 'text', 'sessionId'],
  ['provider', 'text', 'provider'],
  ['model', 'text', 'model'],
  ['requested_model', 'text', 'requestedModel'],
  ['operation', 'text', 'operation'],
  ['response_model', 'text', 'responseModel'],
  ['input_tokens', 'integer', 'inputTokens'],
  ['output_tokens', 'integer', 'outputTokens'],
  ['cached_read_tokens', 'integer', 'cachedReadTokens'],
  ['cache_write_tokens', 'integer', 'cacheWriteTokens'],
  ['reasoning_tokens', 'integer', 'reasoningTokens'],
  ['usage_source', 'text', 'usageSource'],
  ['usd_cost', 'numeric', 'usdCost'],
  ['price_status', 'text', 'priceStatus'],
  ['price_version', 'text', 'priceVersion'],
  ['price_source', 'text', 'priceSource'],
  ['provider_cost_usd', 'numeric', 'providerCostUsd'],
  ['outcome', 'text', 'outcome'],
  ['stream', 'boolean', 'stream'],
  ['occurred_at', 'timestamptz', 'occurredAt'],
];

const COLUMN_LIST = COLUMNS.map(([column]) => column).join(', ');

/**
 * One statement: the rows (a unique call_id makes a redelivered call a no-op), then the daily
 * aggregates from exactly the rows that were inserted, so aggregates are as idempotent as rows.
 * Parameters are one array per column (unnest): the statement text is the same for every batch size.
 * Aggregate rows are upserted in key order, so concurrent batches lock them in the same order.
 */
const INSERT_BATCH_SQL = `
WITH input AS (
  SELECT * FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}) AS t(${COLUMN_LIST})
), ins AS (
  INSERT INTO model_cost_logs (${COLUMN_LIST})
  SELECT ${COLUMN_LIST} FROM input
  ON CONFLICT (call_id) DO NOTHING
  RETURNING *
), dims AS (
  SELECT ins.*, d.dimension, d.key, (ins.occurred_at AT TIME ZONE 'UTC')::date AS day
  FROM ins CROSS JOIN LATERAL (VALUES
    ('tenant', ''),
    ('user', coalesce(ins.user_id, '')),
    ('api_key', ins.api_key_id),
    ('agent', coalesce(ins.agent_id, '')),
    ('model', ins.provider || '/' || ins.model),
    ('workflow', coalesce(ins.workflow_execution_id, ''))
  ) AS d(dimension, key)
), agg AS (
  INSERT INTO daily_cost_aggregates AS a
    (tenant_id, dimension, key, day, calls, unpriced_calls, cost_mismatch_calls, input_tokens, output_tokens, cached_read_tokens, cache_write_tokens, reasoning_tokens, usd_cost, provider_cost_usd)
  SELECT tenant_id, dimension, key, day, count(*), count(*) FILTER (WHERE usd_cost IS NULL), count(*) FILTER (WHERE cost_mismatch),
    sum(input_tokens), sum(output_tokens), sum(cached_read_tokens), sum(cache_write_tokens), sum(reasoning_tokens),
    coalesce(sum(usd_cost), 0), coalesce(sum(provider_cost_usd), 0)
  FROM dims
  GROUP BY tenant_id, dimension, key, day
  ORDER BY tenant_id, dimension, key, day
  ON CONFLICT (tenant_id, dimension, key, day) DO UPDATE SET
    calls = a.calls + EXCLUDED.calls,
    unpriced_calls = a.unpriced_calls + EXCLUDED.unpriced_calls,
    cost_mismatch_calls = a.cost_mismatch_calls + EXCLUDED.cost_mismatch_calls,
    input_tokens = a.input_tokens + EXCLUDED.input_tokens,
    output_tokens = a.output_tokens + EXCLUDED.output_tokens,
    cached_read_tokens = a.cached_read_tokens + EXCLUDED.cached_read_tokens,
    cache_write_tokens = a.cache_write_tokens + EXCLUDED.cache_write_tokens,
    reasoning_tokens = a.reasoning_tokens + EXCLUDED.reasoning_tokens,
    usd_cost = a.usd_cost + EXCLUDED.usd_cost,
    provider_cost_usd = a.provider_cost_usd + EXCLUDED.provider_cost_usd
)
SELECT call_id, cost_mismatch, created_at FROM ins`;

function decimalOrNull(value: string | null): string | null {
  return value === null ? null : normaliseDecimal(value);
}

/** The cost.recorded.v1 event of a stored row; its id is the row's, so a re-published copy is recognisable. */
export function costRecordedEvent(row: ModelCostLog): CostRecordedV1 {
  return {
    id: row.id,
    type: 'cost.recorded',
    version: 1,
    occurredAt: row.createdAt.toISOString(),
    tenantId: row.tenantId,
    callId: row.callId,
    apiKeyId: row.apiKeyId,
    userId: row.userId,
    agentId: row.agentId,
    workflowId: row.workflowExecutionId,
    nodeId: row.nodeId,
    sessionId: row.sessionId,
    provider: row.provider,
    model: row.model,
    operation: row.operation,
    usage: { inputTokens: row.inputTokens, outputTokens: row.outputTokens, cachedReadTokens: row.cachedReadTokens, cacheWriteTokens: row.cacheWriteTokens, reasoningTokens: row.reasoningTokens },
    usdCost: decimalOrNull(row.usdCost),
    priceStatus: row.priceStatus,
    priceVersion: row.priceVersion,
    providerCostUsd: decimalOrNull(row.providerCostUsd),
    costMismatch: row.costMismatch,
    callOccurredAt: row.occurredAt.toISOString(),
  };
}

/** Turns call events into cost rows: exactly one per call, priced exactly or marked unpriced. */
@Injectable()
export class CostLedgerService {
  constructor(
    @InjectDataSource('cost-ledger') private readonly dataSource: DataSource,
    private readonly prices: PriceBook,
    private readonly budgets: BudgetMonitor,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
  ) {}

  /** Returns false when the call already had its row (a redelivered event): nothing changes. */
  async record(event: LlmCallV1): Promise<boolean> {
    const [outcome] = await this.recordBatch([event]);
    return outcome === 'recorded';
  }

  /**
   * Writes a batch of calls in one statement, then publishes cost.recorded.v1 for every call of
   * the batch, the already-recorded ones included (their first publication may have been cut
   * short by a crash; consumers deduplicate by event id). Resolves once both are done, so a
   * message is acknowledged only after its row is committed and announced.
   */
  async recordBatch(events: readonly LlmCallV1[]): Promise<RecordOutcome[]> {
    if (events.length === 0) return [];
    const firstByCall = new Map<string, LlmCallV1>();
    for (const event of events) if (!firstByCall.has(event.callId)) firstByCall.set(event.callId, event);
    const catalogs = await this.prices.catalogsFor([...firstByCall.values()].map((e) => e.tenantId));
    // Sorted by call_id: two batches in flight that share calls (a redelivery) then lock their rows in
    // the same order, so they wait for each other instead of deadlocking (the aggregates are ordered too).
    const rows = [...firstByCall.values()]
      .sort((a, b) => (a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0))
      .map((event) => toRow(event, catalogs.get(event.tenantId) ?? this.prices.defaults));
    const inserted = (await this.dataSource.query(
      INSERT_BATCH_SQL,
      COLUMNS.map(([, , field]) => rows.map((row) => row[field])),
    )) as Array<{ call_id: string; cost_mismatch: boolean; created_at: Date }>;

    const insertedByCall = new Map(inserted.map((r) => [r.call_id, r]));
    const recorded = rows.flatMap((row) => {
      const stored = insertedByCall.get(row.callId);
      return stored ? [toEntity(row, stored)] : [];
    });
    const existingCalls = rows.filter((row) => !insertedByCall.has(row.callId)).map((row) => row.callId);
    const existing = existingCalls.length ? await this.dataSource.getRepository(ModelCostLog).findBy({ callId: In(existingCalls) }) : [];
    await Promise.all([...recorded, ...existing].map((row) => this.publisher.publish(CostRecordedV1, costRecordedEvent(row))));

    if (recorded.length) this.budgets.spendChanged(recorded.map((row) => row.tenantId));
    const claimed = new Set<string>();
    return events.map((event) => {
      // Only the first copy of a call in this batch can have recorded it.
      const outcome: RecordOutcome = insertedByCall.has(event.callId) && !claimed.has(event.callId) ? 'recorded' : 'duplicate';
      claimed.add(event.callId);
      return outcome;
    });
  }
}

function toRow(event: LlmCallV1, catalog: PriceCatalog): NewCostRow {
  const provider = event.route?.provider ?? 'none';
  const model = event.route?.model ?? event.requestedModel;
  const occurredAt = new Date(event.occurredAt);
  const price = priceCall(catalog, { provider, model, responseModel: event.responseModel, usage: event.usage, occurredAt });
  return {
    id: rowId(),
    callId: event.callId,
    eventId: event.id,
    tenantId: event.tenantId,
    userId: event.userId,
    apiKeyId: event.apiKeyId,
    agentId: event.attribution.agentId,
    workflowExecutionId: event.attribution.workflowId,
    nodeId: event.attribution.nodeId,
    sessionId: event.attribution.sessionId,
    provider,
    model,
    requestedModel: event.requestedModel,
    operation: event.operation,
    responseModel: event.responseModel,
    inputTokens: event.usage.inputTokens,
    outputTokens: event.usage.outputTokens,
    cachedReadTokens: event.usage.cachedReadTokens,
    cacheWriteTokens: event.usage.cacheWriteTokens,
    reasoningTokens: event.usage.reasoningTokens,
    usageSource: event.usage.source,
    ...price,
    providerCostUsd: event.providerCostUsd,
    outcome: event.outcome,
    stream: event.stream,
    occurredAt: occurredAt.toISOString(),
  };
}

function toEntity(row: NewCostRow, stored: { cost_mismatch: boolean; created_at: Date }): ModelCostLog {
  return Object.assign(new ModelCostLog(), { ...row, occurredAt: new Date(row.occurredAt), createdAt: stored.created_at, costMismatch: stored.cost_mismatch, repricedAt: null });
}
