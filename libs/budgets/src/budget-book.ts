import type { BudgetScope, BudgetStateEntry, BudgetStateV1 } from '@tollgate/contracts';
import type { BudgetCounters, BudgetLimit } from './budget-counters';

/** Who a call is for, as the gateway knows it from the API key and the attribution headers. */
export interface BudgetSubject {
  tenantId: string;
  userId: string | null;
  apiKeyId: string;
  agentId: string | null;
}

function applies(scope: BudgetScope, subject: BudgetSubject): boolean {
  switch (scope.type) {
    case 'tenant':
      return true;
    case 'user':
      return scope.id === subject.userId;
    case 'api_key':
      return scope.id === subject.apiKeyId;
    case 'agent':
      return scope.id === subject.agentId;
  }
}

/**
 * The gateway's view of every tenant's budgets, fed by budget.state.v1 (compacted, keyed by
 * tenant: each message replaces the tenant's whole list). Gives admission the limits that apply
 * to a call, and which budgets the ledger already reports over their hard limit.
 */
export class BudgetBook {
  private readonly byTenant = new Map<string, BudgetStateV1>();

  /** Takes a snapshot unless an older one arrives after a newer one (replays, rebalances). */
  apply(snapshot: BudgetStateV1): boolean {
    const current = this.byTenant.get(snapshot.tenantId);
    if (current && Date.parse(current.occurredAt) > Date.parse(snapshot.occurredAt)) return false;
    this.byTenant.set(snapshot.tenantId, snapshot);
    return true;
  }

  /** Every budget that applies to the call: pass to BudgetCounters.reserve(). */
  limitsFor(subject: BudgetSubject): BudgetLimit[] {
    const entries = this.byTenant.get(subject.tenantId)?.budgets ?? [];
    return entries
      .filter((entry) => applies(entry.scope, subject))
      .map((entry) => ({ budgetId: entry.budgetId, scope: entry.scope, period: entry.period, softLimitUsd: entry.softLimitUsd, hardLimitUsd: entry.hardLimitUsd }));
  }

  /** The ledger's own view: budgets of the call already at their hard limit. */
  hardExceeded(subject: BudgetSubject): BudgetStateEntry[] {
    return (this.byTenant.get(subject.tenantId)?.budgets ?? []).filter((entry) => entry.status === 'hard_exceeded' && applies(entry.scope, subject));
  }

  budgets(tenantId: string): readonly BudgetStateEntry[] {
    return this.byTenant.get(tenantId)?.budgets ?? [];
  }
}

/**
 * The ledger corrects the counters: raises each budget's counter to the spend the ledger recorded
 * for the period the snapshot describes (a restarted gateway, a lost Redis key, a cost the gateway
 * never settled). Call it from the gateway's budget.state.v1 consumer after BudgetBook.apply().
 */
export async function correctCountersFromLedger(counters: BudgetCounters, snapshot: BudgetStateV1): Promise<void> {
  for (const entry of snapshot.budgets) {
    await counters.correct(snapshot.tenantId, entry, entry.spentUsd, new Date(entry.periodStart), 'raise');
  }
}
