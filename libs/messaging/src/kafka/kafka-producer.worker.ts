import { inspect } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type { LogLevel, LoggerService } from '@nestjs/common';
import { InThreadKafkaProducer } from './kafka-producer';
import type { ProducerReply, ProducerRequest, ProducerThreadData } from './kafka-producer.protocol';

/**
 * The Kafka producer's thread (see KafkaProducerThread): the producer the main thread would
 * otherwise run itself (InThreadKafkaProducer: Nest's ClientKafka, kafkajs and Tollgate's kafkajs
 * patches, applied here in this thread's own module registry before kafkajs loads).
 */

const port = parentPort;
if (!port) throw new Error('kafka-producer.worker must run as a worker thread');
const { transport, logLevels } = workerData as ProducerThreadData;

const reply = (message: ProducerReply): void => port.postMessage(message);

// Log lines go to the main thread, which writes them with the application's logger and levels.
const enabled = new Set<LogLevel>(logLevels);
const forward =
  (level: LogLevel) =>
  (message: unknown, ...params: unknown[]): void => {
    if (!enabled.has(level)) return;
    const last = params.at(-1);
    reply({ kind: 'log', level, context: typeof last === 'string' ? last : 'KafkaProducerThread', message: typeof message === 'string' ? message : inspect(message) });
  };
const forwarding: LoggerService = { log: forward('log'), error: forward('error'), warn: forward('warn'), debug: forward('debug'), verbose: forward('verbose'), fatal: forward('fatal') };
Logger.overrideLogger(forwarding);

const producer = new InThreadKafkaProducer(transport);

function handle(request: ProducerRequest): Promise<void> {
  switch (request.op) {
    case 'connect':
      return producer.connect();
    case 'send':
      return producer.sendBatch(request.batches);
    case 'close':
      return producer.close();
  }
}

port.on('message', (request: ProducerRequest) => {
  handle(request).then(
    () => reply({ kind: 'done', id: request.id }),
    (error: unknown) => reply({ kind: 'failed', id: request.id, error: error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) } }),
  );
});
