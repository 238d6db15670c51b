import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface ProvisionedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when given; otherwise the embedded server under the data folder. */
export async function provisionDatabase(settings: { databaseUrl?: string; dataDir: string }): Promise<ProvisionedDatabase> {
  if (settings.databaseUrl) return { url: settings.databaseUrl, embedded: false, stop: async () => undefined };
  const started = Date.now();
  const pg = await startEmbeddedPostgres({ dir: join(settings.dataDir, 'postgres') });
  new Logger('Database').log(`embedded PostgreSQL on 127.0.0.1:${pg.port} (data in ${join(settings.dataDir, 'postgres')}) started in ${Date.now() - started} ms`);
  return { url: pg.url, embedded: true, stop: pg.stop };
}
