import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@tollgate/messaging';
import { PersistenceModule } from '@tollgate/persistence';
import { PlatformModule, busSettings } from '@tollgate/platform';
import { TelemetryModule } from '@tollgate/telemetry';
import { CostLedgerModule } from '../../../services/cost-ledger/src/cost-ledger.module';
import { GatewayModule } from '../../../services/gateway/src/gateway.module';
import { GuardrailsModule } from '../../../services/guardrails/src/guardrails.module';
import { RecoveryModule } from '../../../services/recovery/src/recovery.module';
import { SimilarityModule } from '../../../services/similarity/src/similarity.module';
import { TraceApiModule } from '../../../services/trace-api/src/trace-api.module';
import type { AllInOneEnv } from './all-in-one.config';

/**
 * All six services in one Nest application: their routes never collide, so one port serves them
 * all, and the in-process bus stands in for Kafka unless TOLLGATE_BUS / KAFKA_BROKERS say otherwise.
 */
@Module({})
export class AllInOneModule {
  static forRoot(env: AllInOneEnv, databaseUrl: string): DynamicModule {
    return {
      module: AllInOneModule,
      imports: [
        PlatformModule,
        TelemetryModule,
        PersistenceModule.forRoot({ url: databaseUrl, poolSize: env.DATABASE_POOL_SIZE }),
        MessagingModule.forRoot({ transport: busSettings(env, 'in-process') }),
        GatewayModule.register(env),
        GuardrailsModule.register(env),
        CostLedgerModule.register(env),
        SimilarityModule.register(env),
        TraceApiModule.register(env),
        RecoveryModule.register(env),
      ],
    };
  }
}
