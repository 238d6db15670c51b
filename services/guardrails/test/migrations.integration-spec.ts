import { createTestDatabase, migrationRoundTrip } from '@tollgate/testing';
import type { TestDatabase } from '@tollgate/testing';
import { GUARDRAILS_STORAGE } from '../src/guardrails.storage';

describe('guardrails migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('go up, down to nothing, and up again in the guardrails schema', async () => {
    const result = await migrationRoundTrip(db.url, GUARDRAILS_STORAGE);
    expect(result.afterUp).toEqual(['api_keys', 'migrations', 'tenants']);
    expect(result.reverted).toBe(GUARDRAILS_STORAGE.migrations.length);
    expect(result.afterDown).toEqual(['migrations']);
    expect(result.afterReUp).toEqual(result.afterUp);
  });
});
