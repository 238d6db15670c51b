import { Controller, Inject, Logger } from '@nestjs/common';
import { BudgetStateV1 } from '@tollgate/contracts';
import type { EventOf } from '@tollgate/contracts';
import { BudgetBook, correctCountersFromLedger } from '@tollgate/budgets';
import type { BudgetCounters } from '@tollgate/budgets';
import { ConsumeEvent } from '@tollgate/messaging';
import { BUDGET_COUNTERS } from './budget-admission';

/**
 * budget.state.v1 (compacted, one message per tenant with all its budgets): replaces the tenant's
 * limits in the BudgetBook, then lets the ledger correct the counters (each budget's counter is
 * raised to the spend the ledger recorded, never lowered: the ledger lags the calls in flight).
 * On Kafka every replica reads the whole topic (a group per instance, for compacted topics).
 */
@Controller()
export class BudgetStateConsumer {
  private readonly logger = new Logger('BudgetStateConsumer');

  constructor(
    private readonly book: BudgetBook,
    @Inject(BUDGET_COUNTERS) private readonly counters: BudgetCounters,
  ) {}

  @ConsumeEvent(BudgetStateV1, { group: 'gateway-budgets' })
  async apply(snapshot: EventOf<typeof BudgetStateV1>): Promise<void> {
    if (!this.book.apply(snapshot)) return;
    try {
      await correctCountersFromLedger(this.counters, snapshot);
    } catch (error) {
      // The limits are in place; only the correction is missed, and the next snapshot brings it again.
      // Not rethrown: a retry would not help while Redis is down, and the snapshot is not poison.
      this.logger.error(`could not correct the budget counters of tenant ${snapshot.tenantId} from the ledger: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
