export { startEmbeddedPostgres, freePort, type EmbeddedPostgresOptions, type RunningPostgres } from './embedded-postgres';
export { createServiceDataSource, type ServiceStorage, type ConnectionSettings } from './data-source';
export { migrateSchema, revertAllMigrations } from './migrations';
export { PersistenceModule, DATABASE_CONNECTION, dataSourceToken, InjectDataSource } from './persistence.module';
export { provisionDatabase, type ProvisionedDatabase } from './provision';
