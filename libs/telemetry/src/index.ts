export { startTelemetry, getTelemetry, type TelemetryHandle, type TelemetryOptions } from './start-telemetry';
export { renderPrometheusMetrics, PROMETHEUS_CONTENT_TYPE, type PrometheusPage } from './prometheus';
export { tollgateMeter, genAiMetrics, GEN_AI_TOKEN_USAGE_BUCKETS, GEN_AI_OPERATION_DURATION_BUCKETS } from './metrics';
export { tollgateTracer } from './tracer';
export { isUnsampledLocalSpan, startActiveChildSpan } from './child-span';
export { AttributeSets } from './attribute-sets';
export { traceHttpServerRequest } from './http-server-span';
export { TelemetryModule } from './telemetry.module';
export * from './semconv';
