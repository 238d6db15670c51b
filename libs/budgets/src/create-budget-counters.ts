import type { BudgetCounters, BudgetCountersOptions } from './budget-counters';
import { MemoryBudgetCounters } from './memory-budget-counters';
import { RedisBudgetCounters } from './redis-budget-counters';

/**
 * The counters for this process: in Redis when `redisUrl` (REDIS_URL) is set, so several gateway
 * replicas share them; in memory otherwise (the all-in-one process). Throws at start-up when Redis
 * is configured but does not answer.
 */
export async function createBudgetCounters(options: BudgetCountersOptions & { redisUrl?: string | null } = {}): Promise<BudgetCounters> {
  const { redisUrl, ...rest } = options;
  return redisUrl ? RedisBudgetCounters.connect(redisUrl, rest) : new MemoryBudgetCounters(rest);
}
