import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { PersistenceModule } from '@tollgate/persistence';
import { ApiKeyDirectoryModule } from '@tollgate/platform';
import type { CostLedgerConfig } from './config/cost-ledger.config';
import { COST_LEDGER_STORAGE } from './cost-ledger.storage';
import { CostLedgerConsumer } from './cost-logs/cost-ledger.consumer';
import { CostLedgerService } from './cost-logs/cost-ledger.service';
import { CostLogsController } from './cost-logs/cost-logs.controller';
import { CostLogsRepository } from './cost-logs/cost-logs.repository';

/** Prices, one cost row per call, and (in later issues) budgets. */
@Module({})
export class CostLedgerModule {
  static register(_config: CostLedgerConfig): DynamicModule {
    return {
      module: CostLedgerModule,
      imports: [PersistenceModule.forService(COST_LEDGER_STORAGE), ApiKeyDirectoryModule],
      controllers: [CostLedgerConsumer, CostLogsController],
      providers: [CostLedgerService, CostLogsRepository],
    };
  }
}
