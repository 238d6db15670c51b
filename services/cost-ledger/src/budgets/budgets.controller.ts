import { Body, Controller, Delete, Get, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentCaller, OpenAiHttpError } from '@tollgate/platform';
import type { Caller } from '@tollgate/platform';
import { parseRequest } from '../common/parse-request';
import { BudgetsService } from './budgets.service';
import { BudgetIdSchema, PutBudgetBodySchema } from './dto/budget.dto';
import type { BudgetDto } from './dto/budget.dto';

/** Budgets of the caller's tenant; the tenant comes from the API key, never from the request. */
@Controller('api/v1/budgets')
@UseGuards(ApiKeyGuard)
export class BudgetsController {
  constructor(private readonly budgets: BudgetsService) {}

  @Get()
  async list(@CurrentCaller() caller: Caller): Promise<{ object: 'list'; data: BudgetDto[] }> {
    return { object: 'list', data: await this.budgets.list(caller.tenantId) };
  }

  @Get(':id')
  async get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<BudgetDto> {
    return (await this.budgets.get(caller.tenantId, this.budgetId(id))) ?? this.notFound(id);
  }

  /** Creates the budget of the body's scope and period, or replaces its limits (idempotent). */
  @Put()
  @HttpCode(200)
  async put(@CurrentCaller() caller: Caller, @Body() raw: unknown): Promise<BudgetDto> {
    return this.budgets.put(caller.tenantId, parseRequest(PutBudgetBodySchema, raw, 'body'));
  }

  @Delete(':id')
  async delete(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<{ object: 'budget'; id: string; deleted: true }> {
    if (!(await this.budgets.delete(caller.tenantId, this.budgetId(id)))) this.notFound(id);
    return { object: 'budget', id, deleted: true };
  }

  /** A malformed id cannot name a budget: answered like an unknown one. */
  private budgetId(id: string): string {
    return BudgetIdSchema.safeParse(id).success ? id : this.notFound(id);
  }

  /** Another tenant's budget is "not found" too: its existence is not disclosed. */
  private notFound(id: string): never {
    throw OpenAiHttpError.notFound(`No budget ${id} in your tenant. GET /api/v1/budgets lists them.`, 'id', 'budget_not_found');
  }
}
