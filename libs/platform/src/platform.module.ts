import { Global, Module } from '@nestjs/common';
import { HealthController } from './health/health.controller';
import { ReadinessRegistry } from './health/readiness.registry';

/** Pieces every Tollgate process has once: health endpoints and the readiness registry. */
@Global()
@Module({
  controllers: [HealthController],
  providers: [ReadinessRegistry],
  exports: [ReadinessRegistry],
})
export class PlatformModule {}
