export { BudgetsModule, budgetSettingsFrom } from './budgets.module';
export { BudgetAdmission, CallBudget, BudgetExceededError, BudgetUnavailableError, BUDGET_COUNTERS, BUDGET_SETTINGS, BUDGET_PRICE_CATALOG, DEFAULT_BUDGET_TIMEOUT_MS } from './budget-admission';
export type { AdmissionRequest, BudgetSettings, FinishedCall } from './budget-admission';
export { maxCostOf, actualCostOf, priceOfDeployment } from './budget-cost';
