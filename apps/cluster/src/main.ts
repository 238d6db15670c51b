import { SERVICE_NAMES, SERVICE_PREFIXES, startCluster } from './cluster';

/** `npm run start:cluster`: the six services as separate processes over Kafka, behind a front proxy. */
async function main(): Promise<void> {
  const env = process.env;
  const port = env['PORT'] === undefined ? 8080 : Number(env['PORT']);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be a port number (got ${env['PORT']})`);
  const kafkaBrokers = env['KAFKA_BROKERS']?.split(',').map((b) => b.trim()).filter(Boolean);
  const started = Date.now();
  const cluster = await startCluster({
    port,
    host: env['HOST'] ?? '127.0.0.1',
    kafkaBrokers,
    databaseUrl: env['DATABASE_URL'] || undefined,
    dataDir: env['TOLLGATE_DATA_DIR'] ? `${env['TOLLGATE_DATA_DIR']}/cluster` : undefined,
  });

  const lines = [
    '',
    `Tollgate cluster ready in ${Date.now() - started} ms: six processes over Kafka (${cluster.brokers.join(',')}${cluster.testBroker ? ', TEST BROKER' : ''})`,
    `  front proxy   ${cluster.url}   (OpenAI base URL: ${cluster.url}/v1)`,
    ...SERVICE_NAMES.map((name) => `  ${name.padEnd(12)}  ${cluster.services[name].url}   pid ${cluster.services[name].child.pid}   ${SERVICE_PREFIXES[name].join(' ')}`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`cluster: ${signal}: stopping the services\n`);
    cluster.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`cluster: stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`cluster: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
