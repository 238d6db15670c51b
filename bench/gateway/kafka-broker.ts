import { join, resolve } from 'node:path';
import type { ListeningMessage } from './protocol';

/**
 * The Kafka the benchmark's gateway publishes its llm.call events to: the project's Kafka-protocol
 * test broker (libs/testing, built into dist/ by `npm run build`) in a process of its own, so its
 * CPU is not charged to the gateway. Production runs real Kafka; this one stands in for it here.
 */
const REPO_ROOT = resolve(__dirname, '../..'); // dist/bench-gateway

interface BrokerModule {
  KafkaTestBroker: { start(options: { partitions: number }): Promise<{ port: number }> };
}

async function main(): Promise<void> {
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built library, not a bench source
  const { KafkaTestBroker } = require(join(REPO_ROOT, 'dist/libs/testing/src/index.js')) as BrokerModule;
  const broker = await KafkaTestBroker.start({ partitions: 3 });
  const message: ListeningMessage = { type: 'listening', port: broker.port };
  process.send?.(message);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
