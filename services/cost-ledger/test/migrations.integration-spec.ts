import { createTestDatabase, migrationRoundTrip } from '@tollgate/testing';
import type { TestDatabase } from '@tollgate/testing';
import { COST_LEDGER_STORAGE } from '../src/cost-ledger.storage';

describe('cost-ledger migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('go up, down to nothing, and up again in the cost_ledger schema', async () => {
    const result = await migrationRoundTrip(db.url, COST_LEDGER_STORAGE);
    expect(result.afterUp).toEqual(['budget_alerts', 'budgets', 'daily_cost_aggregates', 'migrations', 'model_cost_logs', 'reprice_jobs', 'tenant_prices']);
    expect(result.reverted).toBe(COST_LEDGER_STORAGE.migrations.length);
    expect(result.afterDown).toEqual(['migrations']);
    expect(result.afterReUp).toEqual(result.afterUp);
  });
});
