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
  // The broker's own module, not libs/testing's index: that one also loads Nest, TypeORM and
  // OpenTelemetry (for the database helpers), ~30 MB of heap that every old-space collection
  // marked again. The broker keeps every batch it is sent, so those collections come every ~2 s;
  // with the larger heap it spent 4.9–5.4 ms of CPU per 100-event Produce request against 2.4–2.5
  // without (a kafkajs producer sending 10 such requests a second, /proc, two runs each), on the
  // CPUs the gateway shares.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built library, not a bench source
  const { KafkaTestBroker } = require(join(REPO_ROOT, 'dist/libs/testing/src/kafka-broker/index.js')) as BrokerModule;
  const broker = await KafkaTestBroker.start({ partitions: 3 });
  const message: ListeningMessage = { type: 'listening', port: broker.port };
  process.send?.(message);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
