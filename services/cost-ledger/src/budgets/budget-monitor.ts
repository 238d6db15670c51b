import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import Decimal from 'decimal.js';
import { DataSource, In } from 'typeorm';
import { ulid } from 'ulid';
import { BudgetAlertV1, BudgetStateV1 } from '@tollgate/contracts';
import type { BudgetScope, BudgetStateEntry, BudgetStatus } from '@tollgate/contracts';
import { periodWindow } from '@tollgate/budgets';
import { EVENT_PUBLISHER } from '@tollgate/messaging';
import type { EventPublisher } from '@tollgate/messaging';
import { InjectDataSource } from '@tollgate/persistence';
import { normaliseDecimal } from '@tollgate/pricing';
import { COST_LEDGER_CONFIG } from '../config/cost-ledger.config';
import type { CostLedgerConfig } from '../config/cost-ledger.config';
import { Budget } from './entities/budget.entity';

export function scopeOf(budget: Budget): BudgetScope {
  return budget.scopeType === 'tenant' ? { type: 'tenant', id: null } : { type: budget.scopeType, id: budget.scopeId };
}

function decimalOrNull(value: string | null): string | null {
  return value === null ? null : normaliseDecimal(value);
}

function statusOf(spent: Decimal, budget: Budget): BudgetStatus {
  if (budget.hardLimitUsd !== null && spent.greaterThanOrEqualTo(budget.hardLimitUsd)) return 'hard_exceeded';
  if (budget.softLimitUsd !== null && spent.greaterThanOrEqualTo(budget.softLimitUsd)) return 'soft_exceeded';
  return 'ok';
}

/**
 * Watches spend against budgets, with the ledger's daily aggregates as the source of truth:
 * publishes each tenant's budget.state.v1 (when a budget changes at once, when spend moves at most
 * every TOLLGATE_BUDGET_STATE_INTERVAL_MS), and budget.alert.v1 the first time in a period a soft
 * or hard limit is reached (once, enforced by budget_alerts' primary key).
 */
@Injectable()
export class BudgetMonitor implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('BudgetMonitor');
  private readonly dirty = new Set<string>();
  /** What was last published per tenant, to publish only changes. */
  private readonly published = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  /** Refreshes run one at a time, so two cannot race on the same tenant's alerts or state. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectDataSource('cost-ledger') private readonly dataSource: DataSource,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(COST_LEDGER_CONFIG) private readonly config: CostLedgerConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flushDirty(), this.config.TOLLGATE_BUDGET_STATE_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flushDirty();
  }

  /** New cost rows landed for these tenants: their budgets are re-evaluated on the next tick. */
  spendChanged(tenantIds: readonly string[]): void {
    for (const tenantId of tenantIds) this.dirty.add(tenantId);
  }

  /** Re-evaluates now and publishes what changed (after a budget was created, changed or deleted: always publishes). */
  refresh(tenantIds: readonly string[], force = false): Promise<void> {
    const run = this.queue.then(() => this.evaluateAndPublish(tenantIds, force));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The current state of a tenant's budgets (spend and status in the current period), without publishing. */
  async stateOf(tenantId: string, at: Date = new Date()): Promise<Map<string, BudgetStateEntry>> {
    const budgets = await this.dataSource.getRepository(Budget).find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
    const entries = await this.evaluate(budgets, at);
    return new Map(entries.map((entry) => [entry.budgetId, entry]));
  }

  private async flushDirty(): Promise<void> {
    if (this.dirty.size === 0) return;
    const tenants = [...this.dirty];
    this.dirty.clear();
    try {
      await this.refresh(tenants);
    } catch (error) {
      for (const tenant of tenants) this.dirty.add(tenant);
      this.logger.error(`could not refresh budget state of ${tenants.length} tenant(s), will retry: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async evaluateAndPublish(tenantIds: readonly string[], force: boolean): Promise<void> {
    const unique = [...new Set(tenantIds)];
    if (unique.length === 0) return;
    const budgets = await this.dataSource.getRepository(Budget).find({ where: { tenantId: In(unique) }, order: { createdAt: 'ASC', id: 'ASC' } });
    const now = new Date();
    const entries = await this.evaluate(budgets, now);
    const byTenant = new Map<string, BudgetStateEntry[]>(unique.map((t) => [t, []]));
    budgets.forEach((budget, i) => byTenant.get(budget.tenantId)?.push(entries[i]));
    await this.sendAlerts(budgets, entries);
    for (const [tenantId, tenantEntries] of byTenant) {
      // A tenant that never had budgets needs no state; one whose last budget was deleted gets an empty list.
      if (tenantEntries.length === 0 && !force && !this.published.has(tenantId)) continue;
      const serialised = JSON.stringify(tenantEntries);
      if (!force && this.published.get(tenantId) === serialised) continue;
      await this.publisher.publish(BudgetStateV1, { id: ulid(), type: 'budget.state', version: 1, occurredAt: now.toISOString(), tenantId, budgets: tenantEntries });
      this.published.set(tenantId, serialised);
    }
  }

  /** Spend of each budget in its current period, from the daily aggregates (one query for all). */
  private async evaluate(budgets: readonly Budget[], at: Date): Promise<BudgetStateEntry[]> {
    if (budgets.length === 0) return [];
    const windows = budgets.map((b) => periodWindow(b.period, at));
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const rows = (await this.dataSource.query(
      `SELECT b.ord, coalesce(sum(a.usd_cost), 0)::text AS spent
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::date[], $6::date[]) AS b(ord, tenant_id, dimension, key, from_day, to_day)
       LEFT JOIN daily_cost_aggregates a
         ON a.tenant_id = b.tenant_id AND a.dimension = b.dimension AND a.key = b.key AND a.day >= b.from_day AND a.day < b.to_day
       GROUP BY b.ord`,
      [budgets.map((_, i) => i), budgets.map((b) => b.tenantId), budgets.map((b) => b.scopeType), budgets.map((b) => b.scopeId), windows.map((w) => day(w.start)), windows.map((w) => day(w.end))],
    )) as Array<{ ord: number; spent: string }>;
    const spentByOrd = new Map(rows.map((r) => [Number(r.ord), r.spent]));
    return budgets.map((budget, i) => {
      const spent = new Decimal(spentByOrd.get(i) ?? '0');
      return {
        budgetId: budget.id,
        scope: scopeOf(budget),
        period: budget.period,
        periodStart: windows[i].start.toISOString(),
        periodEnd: windows[i].end.toISOString(),
        softLimitUsd: decimalOrNull(budget.softLimitUsd),
        hardLimitUsd: decimalOrNull(budget.hardLimitUsd),
        spentUsd: spent.toFixed(),
        status: statusOf(spent, budget),
      };
    });
  }

  /** Once per budget, period and threshold: the primary key of budget_alerts decides who sends it. */
  private async sendAlerts(budgets: readonly Budget[], entries: readonly BudgetStateEntry[]): Promise<void> {
    for (let i = 0; i < budgets.length; i += 1) {
      const entry = entries[i];
      const crossed: Array<['soft' | 'hard', string]> = [];
      if (entry.softLimitUsd !== null && new Decimal(entry.spentUsd).greaterThanOrEqualTo(entry.softLimitUsd)) crossed.push(['soft', entry.softLimitUsd]);
      if (entry.hardLimitUsd !== null && new Decimal(entry.spentUsd).greaterThanOrEqualTo(entry.hardLimitUsd)) crossed.push(['hard', entry.hardLimitUsd]);
      for (const [threshold, limitUsd] of crossed) {
        const claimed = (await this.dataSource.query(
          `INSERT INTO budget_alerts (budget_id, period_start, threshold, spent_usd) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING budget_id`,
          [entry.budgetId, entry.periodStart, threshold, entry.spentUsd],
        )) as unknown[];
        if (claimed.length === 0) continue;
        try {
          await this.publisher.publish(BudgetAlertV1, {
            id: ulid(),
            type: 'budget.alert',
            version: 1,
            occurredAt: new Date().toISOString(),
            tenantId: budgets[i].tenantId,
            budgetId: entry.budgetId,
            scope: entry.scope,
            period: entry.period,
            periodStart: entry.periodStart,
            periodEnd: entry.periodEnd,
            threshold,
            limitUsd,
            spentUsd: entry.spentUsd,
          });
        } catch (error) {
          // Unclaim, so the next evaluation sends it: an alert may not be lost to a bus hiccup.
          await this.dataSource.query(`DELETE FROM budget_alerts WHERE budget_id = $1 AND period_start = $2 AND threshold = $3`, [entry.budgetId, entry.periodStart, threshold]);
          throw error;
        }
      }
    }
  }
}
