import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@tollgate/messaging';
import { PersistenceModule } from '@tollgate/persistence';
import { PlatformModule, busSettings } from '@tollgate/platform';
import { TelemetryModule } from '@tollgate/telemetry';
import type { CostLedgerServiceEnv } from './config/cost-ledger.config';
import { CostLedgerModule } from './cost-ledger.module';

/** Cost-ledger as its own process (cluster mode). */
@Module({})
export class CostLedgerAppModule {
  static forRoot(env: CostLedgerServiceEnv, databaseUrl: string): DynamicModule {
    return {
      module: CostLedgerAppModule,
      imports: [
        PlatformModule,
        TelemetryModule,
        PersistenceModule.forRoot({ url: databaseUrl, poolSize: env.DATABASE_POOL_SIZE }),
        MessagingModule.forRoot({ transport: busSettings(env, 'kafka') }),
        CostLedgerModule.register(env),
      ],
    };
  }
}
