import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ulid } from 'ulid';
import type { BudgetStateEntry } from '@tollgate/contracts';
import { InjectDataSource } from '@tollgate/persistence';
import { normaliseDecimal } from '@tollgate/pricing';
import { BudgetMonitor, scopeOf } from './budget-monitor';
import type { BudgetDto, PutBudgetBody } from './dto/budget.dto';
import { Budget } from './entities/budget.entity';

function toDto(budget: Budget, state: BudgetStateEntry | undefined): BudgetDto {
  if (!state) throw new Error(`no state computed for budget ${budget.id}`);
  return {
    object: 'budget',
    id: budget.id,
    scope: scopeOf(budget),
    period: budget.period,
    soft_limit_usd: budget.softLimitUsd === null ? null : normaliseDecimal(budget.softLimitUsd),
    hard_limit_usd: budget.hardLimitUsd === null ? null : normaliseDecimal(budget.hardLimitUsd),
    period_start: state.periodStart,
    period_end: state.periodEnd,
    spent_usd: state.spentUsd,
    status: state.status,
    created_at: budget.createdAt.toISOString(),
    updated_at: budget.updatedAt.toISOString(),
  };
}

/** Budget CRUD, always within one tenant; every change is published at once as the tenant's budget.state.v1. */
@Injectable()
export class BudgetsService {
  constructor(
    @InjectDataSource('cost-ledger') private readonly dataSource: DataSource,
    private readonly monitor: BudgetMonitor,
  ) {}

  async list(tenantId: string): Promise<BudgetDto[]> {
    const budgets = await this.dataSource.getRepository(Budget).find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
    const state = await this.monitor.stateOf(tenantId);
    return budgets.map((b) => toDto(b, state.get(b.id)));
  }

  async get(tenantId: string, id: string): Promise<BudgetDto | undefined> {
    const budget = await this.dataSource.getRepository(Budget).findOneBy({ tenantId, id });
    if (!budget) return undefined;
    return toDto(budget, (await this.monitor.stateOf(tenantId)).get(id));
  }

  async put(tenantId: string, body: PutBudgetBody): Promise<BudgetDto> {
    const scopeId = body.scope.type === 'tenant' ? '' : body.scope.id;
    // One statement: two PUTs of the same scope and period cannot both create a budget.
    await this.dataSource.query(
      `INSERT INTO budgets (id, tenant_id, scope_type, scope_id, period, soft_limit_usd, hard_limit_usd)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id, scope_type, scope_id, period)
       DO UPDATE SET soft_limit_usd = EXCLUDED.soft_limit_usd, hard_limit_usd = EXCLUDED.hard_limit_usd, updated_at = now()`,
      [`bud_${ulid()}`, tenantId, body.scope.type, scopeId, body.period, body.soft_limit_usd, body.hard_limit_usd],
    );
    const budget = await this.dataSource.getRepository(Budget).findOneByOrFail({ tenantId, scopeType: body.scope.type, scopeId, period: body.period });
    await this.monitor.refresh([tenantId], true);
    return toDto(budget, (await this.monitor.stateOf(tenantId)).get(budget.id));
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(Budget).delete({ tenantId, id });
    if (!result.affected) return false;
    await this.monitor.refresh([tenantId], true);
    return true;
  }
}
