import { trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { TOLLGATE_INSTRUMENTATION_SCOPE } from './semconv';

/** Tollgate's own tracer (GenAI and handler spans). Safe before startTelemetry: the API proxies tracers. */
export function tollgateTracer(): Tracer {
  return trace.getTracer(TOLLGATE_INSTRUMENTATION_SCOPE);
}
