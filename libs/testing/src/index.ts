export { createTestDatabase, type TestDatabase } from './database';
export { expectEventually } from './eventually';
export { migrationRoundTrip } from './migrations';
export { llmCallEvent, tenantWithKey } from './fixtures/events';
export { startAppProcess, type AppProcess } from './process';
