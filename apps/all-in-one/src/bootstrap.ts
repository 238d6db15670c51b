import { provisionDatabase } from '@tollgate/persistence';
import { httpSettings, startHttpService } from '@tollgate/platform';
import type { RunningHttpService } from '@tollgate/platform';
import { loadAllInOneEnv } from './all-in-one.config';
import { AllInOneModule } from './all-in-one.module';

export async function startAllInOne(source: NodeJS.ProcessEnv = process.env, handleSignals = true): Promise<RunningHttpService> {
  const env = loadAllInOneEnv(source);
  const db = await provisionDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.TOLLGATE_DATA_DIR });
  try {
    return await startHttpService({ name: 'tollgate', module: AllInOneModule.forRoot(env, db.url), ...httpSettings(env), afterClose: db.stop, handleSignals });
  } catch (error) {
    await db.stop();
    throw error;
  }
}

export async function main(): Promise<void> {
  await startAllInOne();
}
