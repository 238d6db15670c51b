import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@tollgate/messaging';
import { PersistenceModule } from '@tollgate/persistence';
import { PlatformModule, busSettings } from '@tollgate/platform';
import { TelemetryModule } from '@tollgate/telemetry';
import type { GuardrailsServiceEnv } from './config/guardrails.config';
import { GuardrailsModule } from './guardrails.module';

/** Guardrails as its own process (cluster mode). */
@Module({})
export class GuardrailsAppModule {
  static forRoot(env: GuardrailsServiceEnv, databaseUrl: string): DynamicModule {
    return {
      module: GuardrailsAppModule,
      imports: [
        PlatformModule,
        TelemetryModule,
        PersistenceModule.forRoot({ url: databaseUrl, poolSize: env.DATABASE_POOL_SIZE }),
        MessagingModule.forRoot({ transport: busSettings(env, 'kafka') }),
        GuardrailsModule.register(env),
      ],
    };
  }
}
