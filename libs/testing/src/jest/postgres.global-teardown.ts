import type { RunningPostgres } from '../../../persistence/src/embedded-postgres';

export default async function teardown(): Promise<void> {
  await (globalThis as { __tollgatePostgres?: RunningPostgres }).__tollgatePostgres?.stop();
}
