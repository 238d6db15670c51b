import { httpSettings, startHttpService } from '@tollgate/platform';
import { RecoveryAppModule } from './app.module';
import { loadRecoveryEnv } from './config/recovery.config';

export async function main(): Promise<void> {
  const env = loadRecoveryEnv();
  await startHttpService({ name: 'recovery', module: RecoveryAppModule.forRoot(env), ...httpSettings(env) });
}
