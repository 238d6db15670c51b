import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { PersistenceModule } from '@tollgate/persistence';
import { ApiKeyDirectoryModule } from '@tollgate/platform';
import { BudgetMonitor } from './budgets/budget-monitor';
import { BudgetsController } from './budgets/budgets.controller';
import { BudgetsService } from './budgets/budgets.service';
import { COST_LEDGER_CONFIG } from './config/cost-ledger.config';
import type { CostLedgerConfig } from './config/cost-ledger.config';
import { COST_LEDGER_STORAGE } from './cost-ledger.storage';
import { CostLedgerConsumer } from './cost-logs/cost-ledger.consumer';
import { CostLedgerService } from './cost-logs/cost-ledger.service';
import { CostLogBatcher } from './cost-logs/cost-log.batcher';
import { CostLogsController } from './cost-logs/cost-logs.controller';
import { CostLogsRepository } from './cost-logs/cost-logs.repository';
import { CostEstimator } from './costs/cost-estimator';
import { CostSummaryRepository } from './costs/cost-summary.repository';
import { CostsController } from './costs/costs.controller';
import { PriceBook } from './pricing/price-book';
import { PricingController } from './pricing/pricing.controller';
import { RepricingService } from './pricing/repricing.service';

/** Prices, one cost row per call with daily aggregates, cost APIs, and budgets (with budget.state.v1 for gateways). */
@Module({})
export class CostLedgerModule {
  static register(config: CostLedgerConfig): DynamicModule {
    return {
      module: CostLedgerModule,
      imports: [PersistenceModule.forService(COST_LEDGER_STORAGE), ApiKeyDirectoryModule],
      controllers: [CostLedgerConsumer, CostLogsController, CostsController, PricingController, BudgetsController],
      providers: [
        { provide: COST_LEDGER_CONFIG, useValue: config },
        PriceBook,
        CostLedgerService,
        CostLogBatcher,
        CostLogsRepository,
        CostSummaryRepository,
        CostEstimator,
        RepricingService,
        BudgetMonitor,
        BudgetsService,
      ],
      exports: [CostLedgerService, CostLogBatcher, BudgetMonitor, RepricingService],
    };
  }
}
