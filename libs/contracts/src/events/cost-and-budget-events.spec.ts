import { ulid } from 'ulid';
import { BudgetAlertV1, BudgetStateV1, CostRecordedV1, TOPICS, contractForTopic, validateEvent } from '../index';

const envelope = () => ({ id: ulid(), occurredAt: new Date().toISOString(), tenantId: 't_1' });
const entry = { budgetId: 'bud_1', scope: { type: 'agent', id: 'bot' }, period: 'month', periodStart: '2026-11-01T00:00:00Z', periodEnd: '2026-12-01T00:00:00Z', softLimitUsd: '80', hardLimitUsd: '100', spentUsd: '81.5', status: 'soft_exceeded' };

describe('cost and budget contracts', () => {
  it('registers cost.recorded and budget.alert as streams and budget.state as a compacted topic', () => {
    expect(contractForTopic(TOPICS.costRecorded)).toBe(CostRecordedV1);
    expect(contractForTopic(TOPICS.budgetState)?.compacted).toBe(true);
    expect(contractForTopic(TOPICS.budgetAlert)?.compacted).toBe(false);
  });

  it('accepts a budget state and requires a null id for the tenant scope and an id for the others', () => {
    expect(validateEvent(BudgetStateV1, { ...envelope(), type: 'budget.state', version: 1, budgets: [entry] }).ok).toBe(true);
    expect(validateEvent(BudgetStateV1, { ...envelope(), type: 'budget.state', version: 1, budgets: [] }).ok).toBe(true);
    expect(validateEvent(BudgetStateV1, { ...envelope(), type: 'budget.state', version: 1, budgets: [{ ...entry, scope: { type: 'tenant', id: 'x' } }] }).ok).toBe(false);
    expect(validateEvent(BudgetStateV1, { ...envelope(), type: 'budget.state', version: 1, budgets: [{ ...entry, scope: { type: 'user', id: null } }] }).ok).toBe(false);
  });

  it('carries money as decimal strings, never numbers', () => {
    expect(validateEvent(BudgetStateV1, { ...envelope(), type: 'budget.state', version: 1, budgets: [{ ...entry, spentUsd: 81.5 }] }).ok).toBe(false);
    const alert = { ...envelope(), type: 'budget.alert', version: 1, budgetId: 'bud_1', scope: { type: 'tenant', id: null }, period: 'day', periodStart: entry.periodStart, periodEnd: entry.periodEnd, threshold: 'soft', limitUsd: '80', spentUsd: '80.000001' };
    expect(validateEvent(BudgetAlertV1, alert).ok).toBe(true);
    expect(validateEvent(BudgetAlertV1, { ...alert, limitUsd: '-1' }).ok).toBe(false);
  });

  it('accepts a cost row event with an unpriced (null) cost, and refuses "0" dressed as a number', () => {
    const recorded = {
      ...envelope(),
      type: 'cost.recorded',
      version: 1,
      callId: ulid(),
      apiKeyId: 'k',
      userId: null,
      agentId: null,
      workflowId: null,
      nodeId: null,
      sessionId: null,
      provider: 'openai',
      model: 'gpt-unreleased',
      operation: 'chat',
      usage: { inputTokens: 1, outputTokens: 1, cachedReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      usdCost: null,
      priceStatus: 'unpriced',
      priceVersion: null,
      providerCostUsd: null,
      costMismatch: false,
      callOccurredAt: new Date().toISOString(),
    };
    expect(validateEvent(CostRecordedV1, recorded).ok).toBe(true);
    expect(validateEvent(CostRecordedV1, { ...recorded, usdCost: 0 }).ok).toBe(false);
  });
});
