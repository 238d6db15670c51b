import { Global, Inject, Logger, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ReadinessRegistry } from '@tollgate/platform';
import { createServiceDataSource } from './data-source';
import type { ConnectionSettings, ServiceStorage } from './data-source';
import { migrateSchema } from './migrations';

export const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');

/** The DI token of a service's DataSource. */
export function dataSourceToken(service: string): string {
  return `tollgate:data-source:${service}`;
}

/** Injects the DataSource of the named service. */
export const InjectDataSource = (service: string): ParameterDecorator & PropertyDecorator => Inject(dataSourceToken(service));

class DataSourceCloser implements OnApplicationShutdown {
  constructor(private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

@Global()
@Module({})
export class PersistenceModule {
  /** Where Postgres is; given once by the process (the URL of DATABASE_URL or the embedded server). */
  static forRoot(connection: ConnectionSettings): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [{ provide: DATABASE_CONNECTION, useValue: connection }],
      exports: [DATABASE_CONNECTION],
    };
  }

  /**
   * A service's own DataSource, migrated at start-up (under an advisory lock) before anything
   * uses it, and closed at shutdown after consumers have drained.
   */
  static forService(storage: ServiceStorage): DynamicModule {
    const token = dataSourceToken(storage.service);
    const closerToken = `${token}:closer`;
    return {
      module: ServiceStorageModule,
      providers: [
        {
          provide: token,
          inject: [DATABASE_CONNECTION, ReadinessRegistry],
          useFactory: async (connection: ConnectionSettings, readiness: ReadinessRegistry): Promise<DataSource> => {
            const dataSource = createServiceDataSource(storage, connection);
            await dataSource.initialize();
            const applied = await migrateSchema(dataSource, storage.schema);
            if (applied.length) new Logger('Migrations').log(`${storage.service}: applied ${applied.join(', ')}`);
            readiness.register(`database:${storage.service}`, async () => {
              await dataSource.query('SELECT 1');
            });
            return dataSource;
          },
        },
        { provide: closerToken, inject: [token], useFactory: (dataSource: DataSource) => new DataSourceCloser(dataSource) },
      ],
      exports: [token],
    };
  }
}

/** Holder module so that each service's storage is its own module instance. */
@Module({})
class ServiceStorageModule {}
