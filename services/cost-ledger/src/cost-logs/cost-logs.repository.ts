import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CostLogDto, CostLogPageDto } from '@tollgate/contracts';
import { InjectDataSource } from '@tollgate/persistence';
import { OpenAiHttpError } from '@tollgate/platform';
import { normaliseDecimal } from '@tollgate/pricing';
import type { ListCostLogsQuery } from './dto/list-cost-logs.query';
import { ModelCostLog } from './entities/model-cost-log.entity';

interface Cursor {
  occurredAt: string;
  id: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.occurredAt, cursor.id])).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const [occurredAt, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (typeof occurredAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(occurredAt))) return { occurredAt, id };
  } catch {
    // fall through to the error below
  }
  throw OpenAiHttpError.invalidRequest('cursor is not one this API returned; pass next_cursor from the previous page unchanged.', 'cursor', 'invalid_cursor');
}

function toDto(row: ModelCostLog): CostLogDto {
  return {
    id: row.id,
    call_id: row.callId,
    user_id: row.userId,
    api_key_id: row.apiKeyId,
    agent_id: row.agentId,
    workflow_id: row.workflowExecutionId,
    node_id: row.nodeId,
    session_id: row.sessionId,
    provider: row.provider,
    model: row.model,
    requested_model: row.requestedModel,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cached_read_tokens: row.cachedReadTokens,
    cache_write_tokens: row.cacheWriteTokens,
    reasoning_tokens: row.reasoningTokens,
    usage_source: row.usageSource,
    usd_cost: row.usdCost === null ? null : normaliseDecimal(row.usdCost),
    price_status: row.priceStatus,
    price_version: row.priceVersion,
    provider_cost_usd: row.providerCostUsd === null ? null : normaliseDecimal(row.providerCostUsd),
    cost_mismatch: row.costMismatch,
    price_source: row.priceSource,
    operation: row.operation,
    repriced_at: row.repricedAt?.toISOString() ?? null,
    outcome: row.outcome,
    stream: row.stream,
    occurred_at: row.occurredAt.toISOString(),
    created_at: row.createdAt.toISOString(),
  };
}


@Injectable()
export class CostLogsRepository {
  constructor(@InjectDataSource('cost-ledger') private readonly dataSource: DataSource) {}

  /** Newest first, always within one tenant: the tenant comes from the key, never the query. */
  async list(tenantId: string, query: ListCostLogsQuery): Promise<CostLogPageDto> {
    const qb = this.dataSource
      .getRepository(ModelCostLog)
      .createQueryBuilder('log')
      .where('log.tenant_id = :tenantId', { tenantId })
      .orderBy('log.occurred_at', 'DESC')
      .addOrderBy('log.id', 'DESC')
      .take(query.limit + 1);
    if (query.from) qb.andWhere('log.occurred_at >= :from', { from: query.from });
    if (query.to) qb.andWhere('log.occurred_at < :to', { to: query.to });
    if (query.user_id) qb.andWhere('log.user_id = :userId', { userId: query.user_id });
    if (query.agent_id) qb.andWhere('log.agent_id = :agentId', { agentId: query.agent_id });
    if (query.workflow_id) qb.andWhere('log.workflow_execution_id = :workflowId', { workflowId: query.workflow_id });
    if (query.api_key_id) qb.andWhere('log.api_key_id = :apiKeyId', { apiKeyId: query.api_key_id });
    if (query.price_status) qb.andWhere('log.price_status = :priceStatus', { priceStatus: query.price_status });
    if (query.cost_mismatch !== undefined) qb.andWhere('log.cost_mismatch = :costMismatch', { costMismatch: query.cost_mismatch });
    if (query.model) qb.andWhere('log.model = :model', { model: query.model });
    if (query.provider) qb.andWhere('log.provider = :provider', { provider: query.provider });
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      qb.andWhere('(log.occurred_at, log.id) < (:cursorAt, :cursorId)', { cursorAt: cursor.occurredAt, cursorId: cursor.id });
    }
    const rows = await qb.getMany();
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      object: 'list',
      data: page.map(toDto),
      next_cursor: rows.length > query.limit && last ? encodeCursor({ occurredAt: last.occurredAt.toISOString(), id: last.id }) : null,
    };
  }
}
