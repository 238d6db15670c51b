import { Controller, Get, Header } from '@nestjs/common';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheusMetrics } from './prometheus';

/** GET /metrics for Prometheus scrapes (not traced: see instrumentations.ts). */
@Controller()
export class MetricsController {
  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async metrics(): Promise<string> {
    return (await renderPrometheusMetrics()).body;
  }
}
