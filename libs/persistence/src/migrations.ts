import type { DataSource } from 'typeorm';

/**
 * Runs a service's pending migrations in its own schema, holding a Postgres advisory lock so that
 * replicas starting together do not race: the second waits, then finds nothing to do.
 */
export async function migrateSchema(dataSource: DataSource, schema: string): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`tollgate:migrations:${schema}`]);
    try {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`tollgate:migrations:${schema}`]);
    }
  } finally {
    await runner.release();
  }
}

/** Undoes every applied migration of the schema, newest first. For tests and tear-down tooling. */
export async function revertAllMigrations(dataSource: DataSource, schema: string): Promise<number> {
  let reverted = 0;
  for (;;) {
    const executed = await dataSource.query(
      `SELECT count(*)::int AS n FROM "${schema}"."${dataSource.options.migrationsTableName ?? 'migrations'}"`,
    );
    if ((executed[0] as { n: number }).n === 0) return reverted;
    await dataSource.undoLastMigration({ transaction: 'each' });
    reverted += 1;
  }
}
