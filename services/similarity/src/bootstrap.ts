import { httpSettings, startHttpService } from '@tollgate/platform';
import { SimilarityAppModule } from './app.module';
import { loadSimilarityEnv } from './config/similarity.config';

export async function main(): Promise<void> {
  const env = loadSimilarityEnv();
  await startHttpService({ name: 'similarity', module: SimilarityAppModule.forRoot(env), ...httpSettings(env) });
}
