import { Controller } from '@nestjs/common';
import { LlmCallV1 } from '@tollgate/contracts';
import type { EventOf } from '@tollgate/contracts';
import { ConsumeEvent, concurrencyFrom } from '@tollgate/messaging';
import { COST_LEDGER_CONFIG, ledgerConcurrency } from '../config/cost-ledger.config';
import type { CostLedgerConfig } from '../config/cost-ledger.config';
import { CostLogBatcher } from './cost-log.batcher';

@Controller()
export class CostLedgerConsumer {
  constructor(private readonly batcher: CostLogBatcher) {}

  /**
   * Resolves (acknowledges the message) only once the call's row is committed; a failure sends it
   * back for retry. Up to TOLLGATE_LEDGER_CONCURRENCY calls are in flight at once, so that the
   * batcher has calls to group into one insert.
   *
   * ordering 'none': one tenant's calls need not wait for each other. Nothing here depends on
   * their order: a row is written exactly once per call by the unique call_id (a copy, even one in
   * a concurrent batch, is a no-op), the daily aggregates are sums upserted from exactly the rows
   * inserted (commutative), and budget state is re-read from those aggregates after each commit,
   * never taken from the event order. With per-tenant ordering, 50 busy tenants meant at most 50
   * calls in flight and batches of ~50 rows (see docs/benchmarks.md). On Kafka the committed offset
   * still never passes a call in flight, so a crash redelivers rather than loses.
   */
  @ConsumeEvent(LlmCallV1, { group: 'cost-ledger', ordering: 'none', concurrency: concurrencyFrom(COST_LEDGER_CONFIG, (config: CostLedgerConfig) => ledgerConcurrency(config)) })
  async onLlmCall(event: EventOf<typeof LlmCallV1>): Promise<void> {
    await this.batcher.submit(event);
  }
}
