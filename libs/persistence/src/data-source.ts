import { DataSource } from 'typeorm';
import type { MixedList, EntitySchema } from 'typeorm';

/** What a service declares about its storage. */
export interface ServiceStorage {
  /** Service name, e.g. `cost-ledger`; also the DI name of its DataSource. */
  service: string;
  /** Its Postgres schema, e.g. `cost_ledger`. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own entity list type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own migration list type
  migrations: MixedList<Function | string>;
}

export interface ConnectionSettings {
  url: string;
  poolSize?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
}

/**
 * One DataSource per service: its own schema and its own migrations table inside that schema.
 * Never `synchronize`: the schema changes only through migrations.
 */
export function createServiceDataSource(storage: ServiceStorage, connection: ConnectionSettings): DataSource {
  return new DataSource({
    type: 'postgres',
    url: connection.url,
    schema: storage.schema,
    entities: storage.entities,
    migrations: storage.migrations,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    applicationName: connection.applicationName ?? `tollgate-${storage.service}`,
    // search_path makes raw SQL in migrations land in the service's schema without qualifying names.
    extra: { max: connection.poolSize ?? 10, connectionTimeoutMillis: 5000, options: `-c search_path=${storage.schema}` },
  });
}
