import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@tollgate/messaging';
import { PlatformModule, busSettings } from '@tollgate/platform';
import { TelemetryModule } from '@tollgate/telemetry';
import type { SimilarityServiceEnv } from './config/similarity.config';
import { SimilarityModule } from './similarity.module';

/** Similarity as its own process (cluster mode). */
@Module({})
export class SimilarityAppModule {
  static forRoot(env: SimilarityServiceEnv): DynamicModule {
    return {
      module: SimilarityAppModule,
      imports: [PlatformModule, TelemetryModule, MessagingModule.forRoot({ transport: busSettings(env, 'kafka') }), SimilarityModule.register(env)],
    };
  }
}
