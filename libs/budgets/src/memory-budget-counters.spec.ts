import { budgetCountersConformance } from '../test/budget-counters.conformance';
import { MemoryBudgetCounters } from './memory-budget-counters';

describe('MemoryBudgetCounters', () => {
  budgetCountersConformance((options) => Promise.resolve(new MemoryBudgetCounters(options)));
});
