export { createTestDatabase, type TestDatabase } from './database';
export { expectEventually } from './eventually';
export { migrationRoundTrip } from './migrations';
export { llmCallEvent, tenantWithKey } from './fixtures/events';
export { startAppProcess, type AppProcess } from './process';
export { OtlpHttpReceiver } from './receivers/otlp-http.receiver';
export { LangfuseReceiver, type LangfuseKeys } from './receivers/langfuse.receiver';
export type { ReceivedRequest, RejectedRequest } from './receivers/json-post-receiver';
export type { ReceivedSpan, ReceivedMetric, ReceivedMetricPoint, OtlpAttributes, OtlpValue } from './receivers/otlp-json';
