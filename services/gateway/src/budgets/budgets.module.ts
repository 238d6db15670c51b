import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { BudgetBook, createBudgetCounters } from '@tollgate/budgets';
import { defaultPriceCatalog } from '@tollgate/pricing';
import type { GatewayConfig } from '../config/gateway.config';
import { BUDGET_COUNTERS, BUDGET_PRICE_CATALOG, BUDGET_SETTINGS, BudgetAdmission, DEFAULT_BUDGET_TIMEOUT_MS } from './budget-admission';
import type { BudgetSettings } from './budget-admission';
import { BudgetStateConsumer } from './budget-state.consumer';

export function budgetSettingsFrom(config: Partial<Pick<GatewayConfig, 'TOLLGATE_BUDGET_FAIL_MODE' | 'TOLLGATE_BUDGET_DEFAULT_MAX_OUTPUT_TOKENS'>>): BudgetSettings {
  return {
    failMode: config.TOLLGATE_BUDGET_FAIL_MODE ?? 'open',
    defaultMaxOutputTokens: config.TOLLGATE_BUDGET_DEFAULT_MAX_OUTPUT_TOKENS ?? 4096,
    timeoutMs: DEFAULT_BUDGET_TIMEOUT_MS,
  };
}

/**
 * Budget admission for the gateway: limits from budget.state.v1 into a BudgetBook, counters in
 * Redis when REDIS_URL is set (shared by every replica; start-up fails if it does not answer) or in
 * this process's memory otherwise (the all-in-one process). Prices from Tollgate's default catalog.
 */
@Module({})
export class BudgetsModule {
  static register(config: Partial<Pick<GatewayConfig, 'REDIS_URL' | 'TOLLGATE_BUDGET_FAIL_MODE' | 'TOLLGATE_BUDGET_DEFAULT_MAX_OUTPUT_TOKENS'>>): DynamicModule {
    return {
      module: BudgetsModule,
      controllers: [BudgetStateConsumer],
      providers: [
        { provide: BUDGET_COUNTERS, useFactory: () => createBudgetCounters({ redisUrl: config.REDIS_URL }) },
        { provide: BudgetBook, useFactory: () => new BudgetBook() },
        { provide: BUDGET_PRICE_CATALOG, useFactory: () => defaultPriceCatalog() },
        { provide: BUDGET_SETTINGS, useValue: budgetSettingsFrom(config) },
        BudgetAdmission,
      ],
      exports: [BudgetAdmission, BudgetBook, BUDGET_COUNTERS],
    };
  }
}
