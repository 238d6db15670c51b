import { parentPort, workerData } from 'node:worker_threads';
import { Kafka, logLevel } from 'kafkajs';
import type { LogEntry, Message } from 'kafkajs';
import { KAFKA_PRODUCE_ACKS, kafkaClientConfig, kafkaProducerConfig, toKafkaMessage } from './kafka.client-config';
import type { ProducerReply, ProducerRequest, ProducerThreadData } from './kafka-producer.thread';

/**
 * The Kafka producer thread (started by KafkaProducerThread): a kafkajs idempotent producer that
 * sends the batches the main thread posts, one at a time, and answers each with `done` or
 * `failed`. Record encoding, CRC-32C, socket writes and acknowledgements
 * all happen here, off the event loop that serves requests.
 */
if (!parentPort) throw new Error('kafka-producer.worker runs as a worker thread (see KafkaProducerThread)');
const port = parentPort;
const { transport } = workerData as ProducerThreadData;

const post = (reply: ProducerReply): void => port.postMessage(reply);
// kafkajs' own log lines go to the main thread's logger; warnings and errors only (its INFO is chatty).
const logCreator =
  () =>
  ({ level, namespace, log }: LogEntry): void => {
    const { message, error } = log as { message: string; error?: unknown };
    post({ type: 'log', level: level <= logLevel.ERROR ? 'error' : 'warn', text: `[${namespace}] ${message}${error === undefined ? '' : `: ${String(error)}`}` });
  };
const producer = new Kafka({ ...kafkaClientConfig(transport), logLevel: logLevel.WARN, logCreator }).producer(kafkaProducerConfig());

let connected: Promise<void> | undefined;
/** Connects once; a failed attempt is forgotten, so the next request tries again. */
function connect(): Promise<void> {
  connected ??= producer.connect().catch((error: unknown) => {
    connected = undefined;
    throw error;
  });
  return connected;
}

async function send(messages: ProducerRequest & { type: 'send' }): Promise<void> {
  const byTopic = new Map<string, Message[]>();
  for (const message of messages.messages) {
    const list = byTopic.get(message.topic);
    if (list) list.push(toKafkaMessage(message));
    else byTopic.set(message.topic, [toKafkaMessage(message)]);
  }
  await connect();
  await producer.sendBatch({ acks: KAFKA_PRODUCE_ACKS, topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })) });
}

async function handle(request: ProducerRequest): Promise<void> {
  try {
    if (request.type === 'connect') await connect();
    else if (request.type === 'send') await send(request);
    else await producer.disconnect();
    post({ type: 'done', id: request.id });
  } catch (error) {
    post({ type: 'failed', id: request.id, error: { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) } });
  }
}

port.on('message', (request: ProducerRequest) => void handle(request));
