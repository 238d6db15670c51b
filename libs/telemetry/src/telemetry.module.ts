import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';

/** Serves GET /metrics. The SDK itself is started by startTelemetry, before Nest loads. */
@Module({ controllers: [MetricsController] })
export class TelemetryModule {}
