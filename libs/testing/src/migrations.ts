import type { ServiceStorage } from '@tollgate/persistence';
import { createServiceDataSource, migrateSchema, revertAllMigrations } from '@tollgate/persistence';

async function tablesIn(url: string, storage: ServiceStorage): Promise<string[]> {
  const ds = createServiceDataSource(storage, { url, poolSize: 1 });
  await ds.initialize();
  try {
    const rows = (await ds.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [storage.schema])) as Array<{ table_name: string }>;
    return rows.map((r) => r.table_name);
  } finally {
    await ds.destroy();
  }
}

/**
 * Migrates a service's schema up, down and up again against a real database and reports the
 * tables seen at each step, so a test can check that down() undoes up().
 */
export async function migrationRoundTrip(url: string, storage: ServiceStorage): Promise<{ afterUp: string[]; afterDown: string[]; afterReUp: string[]; applied: string[]; reverted: number }> {
  const ds = createServiceDataSource(storage, { url, poolSize: 2 });
  await ds.initialize();
  try {
    const applied = await migrateSchema(ds, storage.schema);
    const afterUp = await tablesIn(url, storage);
    const reverted = await revertAllMigrations(ds, storage.schema);
    const afterDown = await tablesIn(url, storage);
    await migrateSchema(ds, storage.schema);
    const afterReUp = await tablesIn(url, storage);
    return { afterUp, afterDown, afterReUp, applied, reverted };
  } finally {
    await ds.destroy();
  }
}
