import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type { OutgoingMessage } from '../event-publisher';
import type { KafkaTransportOptions } from '../messaging.options';

/** What the producer thread is started with. */
export interface ProducerThreadData {
  transport: KafkaTransportOptions;
}

export type ProducerRequest = { id: number } & ({ type: 'connect' } | { type: 'send'; messages: OutgoingMessage[] } | { type: 'disconnect' });

export type ProducerReply =
  | { type: 'done'; id: number }
  | { type: 'failed'; id: number; error: { name: string; message: string } }
  | { type: 'log'; level: 'error' | 'warn'; text: string };

/** Sends batches of messages to Kafka; KafkaEventPublisher's seam (tests give it a fake). */
export interface ProducerChannel {
  connect(): Promise<void>;
  send(messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** How long close() waits for the producer to disconnect before it ends the thread regardless. */
const DISCONNECT_TIMEOUT_MS = 5_000;

/**
 * The kafkajs producer in a worker thread of its own (kafka-producer.worker.ts). Encoding records
 * (varints, CRC-32C over each batch), the socket writes and the acknowledgements were ~10% of the
 * gateway's main-thread CPU at 1,500 calls/s in bench:gateway, and each batch was a burst of work
 * in the middle of request handling; the main thread now only posts a batch per linger period.
 * A thread that dies fails the calls it had and is started again by the next one.
 */
export class KafkaProducerThread implements ProducerChannel {
  private readonly logger = new Logger('KafkaProducer');
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly calls = new Map<number, { worker: Worker; resolve: () => void; reject: (error: Error) => void }>();

  constructor(private readonly transport: KafkaTransportOptions) {}

  connect(): Promise<void> {
    return this.call({ type: 'connect' });
  }

  send(messages: OutgoingMessage[]): Promise<void> {
    return this.call({ type: 'send', messages });
  }

  /** Disconnects the producer (bounded by DISCONNECT_TIMEOUT_MS) and ends the thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DISCONNECT_TIMEOUT_MS)));
    try {
      await Promise.race([this.call({ type: 'disconnect' }).catch((error: Error) => this.logger.warn(`disconnecting the producer failed: ${error.message}`)), timeout]);
    } finally {
      clearTimeout(timer);
      this.worker = undefined;
      await worker.terminate();
    }
  }

  private call(request: { type: 'connect' } | { type: 'send'; messages: OutgoingMessage[] } | { type: 'disconnect' }): Promise<void> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.calls.set(id, { worker, resolve, reject });
      worker.postMessage({ ...request, id } satisfies ProducerRequest);
    });
  }

  private start(): Worker {
    // Built code runs the compiled .js; the tests run the TypeScript source, which tsx loads.
    const extension = extname(__filename);
    const worker = new Worker(join(__dirname, `kafka-producer.worker${extension}`), {
      name: 'kafka-producer',
      workerData: { transport: this.transport } satisfies ProducerThreadData,
      ...(extension === '.ts' ? { execArgv: [...process.execArgv, '--require', 'tsx/cjs'] } : {}),
    });
    // The thread never keeps the process alive: the publisher's close() ends it on shutdown.
    worker.unref();
    worker.on('message', (reply: ProducerReply) => this.onReply(reply));
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) => this.lost(worker, new Error(`the Kafka producer thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private onReply(reply: ProducerReply): void {
    if (reply.type === 'log') {
      if (reply.level === 'error') this.logger.error(reply.text);
      else this.logger.warn(reply.text);
      return;
    }
    const call = this.calls.get(reply.id);
    if (!call) return;
    this.calls.delete(reply.id);
    if (reply.type === 'done') call.resolve();
    else call.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
  }

  /** The thread crashed or ended: what it had in hand fails, and the next call starts a new one. */
  private lost(worker: Worker, error: Error): void {
    if (this.worker === worker) {
      this.worker = undefined;
      this.logger.error(`the Kafka producer thread stopped: ${error.message}`);
    }
    for (const [id, call] of this.calls) {
      if (call.worker !== worker) continue;
      this.calls.delete(id);
      call.reject(error);
    }
  }
}
