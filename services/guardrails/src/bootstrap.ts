import { provisionDatabase } from '@tollgate/persistence';
import { httpSettings, startHttpService } from '@tollgate/platform';
import { GuardrailsAppModule } from './app.module';
import { loadGuardrailsEnv } from './config/guardrails.config';

export async function main(): Promise<void> {
  const env = loadGuardrailsEnv();
  const db = await provisionDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.TOLLGATE_DATA_DIR });
  await startHttpService({ name: 'guardrails', module: GuardrailsAppModule.forRoot(env, db.url), ...httpSettings(env), afterClose: db.stop });
}
