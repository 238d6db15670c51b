import { httpSettings, startHttpService } from '@tollgate/platform';
import { GatewayAppModule } from './app.module';
import { loadGatewayEnv } from './config/gateway.config';

export async function main(): Promise<void> {
  const env = loadGatewayEnv();
  await startHttpService({ name: 'gateway', module: GatewayAppModule.forRoot(env), ...httpSettings(env) });
}
