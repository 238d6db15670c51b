import type { ServiceStorage } from '@tollgate/persistence';
import { Budget } from './budgets/entities/budget.entity';
import { ModelCostLog } from './cost-logs/entities/model-cost-log.entity';
import { CreateModelCostLogs1763740100000 } from './migrations/1763740100000-create-model-cost-logs';
import { ExtendModelCostLogs1763740200000 } from './migrations/1763740200000-extend-model-cost-logs';
import { CreateDailyCostAggregates1763740300000 } from './migrations/1763740300000-create-daily-cost-aggregates';
import { CreateTenantPricesAndRepriceJobs1763740400000 } from './migrations/1763740400000-create-tenant-prices-and-reprice-jobs';
import { CreateBudgets1763740500000 } from './migrations/1763740500000-create-budgets';
import { RepriceJob } from './pricing/entities/reprice-job.entity';
import { TenantPrice } from './pricing/entities/tenant-price.entity';

export const COST_LEDGER_STORAGE: ServiceStorage = {
  service: 'cost-ledger',
  schema: 'cost_ledger',
  entities: [ModelCostLog, TenantPrice, RepriceJob, Budget],
  migrations: [CreateModelCostLogs1763740100000, ExtendModelCostLogs1763740200000, CreateDailyCostAggregates1763740300000, CreateTenantPricesAndRepriceJobs1763740400000, CreateBudgets1763740500000],
};
