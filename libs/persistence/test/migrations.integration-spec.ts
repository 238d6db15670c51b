import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createServiceDataSource, migrateSchema } from '@tollgate/persistence';
import type { ServiceStorage } from '@tollgate/persistence';
import { createTestDatabase, migrationRoundTrip } from '@tollgate/testing';
import type { TestDatabase } from '@tollgate/testing';

@Entity({ name: 'widgets' })
class Widget {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'integer' })
  size!: number;
}

/** Slow on purpose (pg_sleep inside the migration) so two runners overlap. */
class CreateWidgets1700000000000 implements MigrationInterface {
  name = 'CreateWidgets1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query('SELECT pg_sleep(0.3)');
    await q.query('CREATE TABLE widgets (id text PRIMARY KEY, size integer NOT NULL)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE widgets');
  }
}

const storage = (schema: string): ServiceStorage => ({ service: schema, schema, entities: [Widget], migrations: [CreateWidgets1700000000000] });

describe('migrateSchema', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('creates the schema, its own migrations table, and the tables in that schema only', async () => {
    const result = await migrationRoundTrip(db.url, storage('widgets_a'));
    expect(result.applied).toEqual(['CreateWidgets1700000000000']);
    expect(result.afterUp).toEqual(['migrations', 'widgets']);
    expect(result.reverted).toBe(1);
    expect(result.afterDown).toEqual(['migrations']);
    expect(result.afterReUp).toEqual(['migrations', 'widgets']);
  });

  it('lets two replicas start together: one applies the migration, the other waits and finds nothing to do', async () => {
    const a = createServiceDataSource(storage('widgets_b'), { url: db.url, poolSize: 2 });
    const b = createServiceDataSource(storage('widgets_b'), { url: db.url, poolSize: 2 });
    await Promise.all([a.initialize(), b.initialize()]);
    try {
      const [appliedA, appliedB] = await Promise.all([migrateSchema(a, 'widgets_b'), migrateSchema(b, 'widgets_b')]);
      expect([...appliedA, ...appliedB]).toEqual(['CreateWidgets1700000000000']);
      const rows = (await a.query('SELECT count(*)::int AS n FROM widgets_b.migrations')) as Array<{ n: number }>;
      expect(rows[0].n).toBe(1);
      await a.getRepository(Widget).insert({ id: 'w1', size: 3 });
      expect(await b.getRepository(Widget).countBy({ size: 3 })).toBe(1);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
  });
});
