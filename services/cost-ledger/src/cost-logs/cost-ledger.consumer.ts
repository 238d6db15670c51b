import { Controller } from '@nestjs/common';
import { LlmCallV1 } from '@tollgate/contracts';
import type { EventOf } from '@tollgate/contracts';
import { ConsumeEvent } from '@tollgate/messaging';
import { CostLedgerService } from './cost-ledger.service';

@Controller()
export class CostLedgerConsumer {
  constructor(private readonly ledger: CostLedgerService) {}

  @ConsumeEvent(LlmCallV1, { group: 'cost-ledger' })
  async onLlmCall(event: EventOf<typeof LlmCallV1>): Promise<void> {
    await this.ledger.record(event);
  }
}
