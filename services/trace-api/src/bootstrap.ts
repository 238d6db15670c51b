import { httpSettings, startHttpService } from '@tollgate/platform';
import { TraceApiAppModule } from './app.module';
import { loadTraceApiEnv } from './config/trace-api.config';

export async function main(): Promise<void> {
  const env = loadTraceApiEnv();
  await startHttpService({ name: 'trace-api', module: TraceApiAppModule.forRoot(env), ...httpSettings(env) });
}
