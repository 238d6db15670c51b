import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ulid } from 'ulid';
import type { LlmCallV1 } from '@tollgate/contracts';
import { InjectDataSource } from '@tollgate/persistence';
import { PriceCatalog, costOf } from '@tollgate/pricing';
import { ModelCostLog } from './entities/model-cost-log.entity';

/** Turns call events into cost rows: exactly one per call, priced exactly or marked unpriced. */
@Injectable()
export class CostLedgerService {
  private readonly catalog = PriceCatalog.starter();

  constructor(@InjectDataSource('cost-ledger') private readonly dataSource: DataSource) {}

  /** Returns false when the call already had its row (a redelivered event): nothing changes. */
  async record(event: LlmCallV1): Promise<boolean> {
    const provider = event.route?.provider ?? 'none';
    const model = event.route?.model ?? event.requestedModel;
    const price = this.catalog.find(provider, model);
    const cost = price ? costOf(event.usage, price) : null;
    const result = await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(ModelCostLog)
      .values({
        id: ulid(),
        callId: event.callId,
        eventId: event.id,
        tenantId: event.tenantId,
        userId: event.userId,
        apiKeyId: event.apiKeyId,
        agentId: event.attribution.agentId,
        workflowId: event.attribution.workflowId,
        nodeId: event.attribution.nodeId,
        sessionId: event.attribution.sessionId,
        provider,
        model,
        requestedModel: event.requestedModel,
        inputTokens: event.usage.inputTokens,
        outputTokens: event.usage.outputTokens,
        cachedReadTokens: event.usage.cachedReadTokens,
        cacheWriteTokens: event.usage.cacheWriteTokens,
        reasoningTokens: event.usage.reasoningTokens,
        usageSource: event.usage.source,
        usdCost: cost?.usd ?? null,
        priceStatus: cost ? 'priced' : 'unpriced',
        priceVersion: cost?.priceVersion ?? null,
        providerCostUsd: event.providerCostUsd,
        outcome: event.outcome,
        stream: event.stream,
        occurredAt: new Date(event.occurredAt),
      })
      // The unique call_id makes redelivery harmless: the second insert is a no-op.
      .orIgnore()
      .returning(['id'])
      .execute();
    return (result.raw as unknown[]).length > 0;
  }
}
