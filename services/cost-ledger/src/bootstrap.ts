import { provisionDatabase } from '@tollgate/persistence';
import { httpSettings, startHttpService } from '@tollgate/platform';
import { CostLedgerAppModule } from './app.module';
import { loadCostLedgerEnv } from './config/cost-ledger.config';

export async function main(): Promise<void> {
  const env = loadCostLedgerEnv();
  const db = await provisionDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.TOLLGATE_DATA_DIR });
  await startHttpService({ name: 'cost-ledger', module: CostLedgerAppModule.forRoot(env, db.url), ...httpSettings(env), afterClose: db.stop });
}
