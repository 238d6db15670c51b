import type { ServiceStorage } from '@tollgate/persistence';
import { ModelCostLog } from './cost-logs/entities/model-cost-log.entity';
import { CreateModelCostLogs1763740100000 } from './migrations/1763740100000-create-model-cost-logs';

export const COST_LEDGER_STORAGE: ServiceStorage = {
  service: 'cost-ledger',
  schema: 'cost_ledger',
  entities: [ModelCostLog],
  migrations: [CreateModelCostLogs1763740100000],
};
