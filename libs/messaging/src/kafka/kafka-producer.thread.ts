import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LOG_LEVELS, Logger } from '@nestjs/common';
import type { KafkaTransportOptions } from '../messaging.options';
import type { BatchProducer } from './kafka-producer';
import type { ProducerReply, ProducerRequest, ProducerThreadData, TopicBatch } from './kafka-producer.protocol';

/** How to start the producer thread: its entry file and the Node options it needs. */
export interface ProducerThreadEntry {
  filename: string;
  execArgv: string[];
}

/**
 * The worker's entry beside this file: the compiled .js when built (dist). Run from TypeScript
 * sources (Jest's ts-jest compiles in memory for its own thread only), the .ts through tsx's loader,
 * which also resolves the @tollgate/* paths of tsconfig.json.
 */
export function producerThreadEntry(dir = __dirname, self = __filename): ProducerThreadEntry {
  if (self.endsWith('.ts')) return { filename: join(dir, 'kafka-producer.worker.ts'), execArgv: ['--import', 'tsx'] };
  // Not the parent's options: --cpu-prof, --inspect and preloads are meant for the main thread.
  return { filename: join(dir, 'kafka-producer.worker.js'), execArgv: [] };
}

interface Waiting {
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Running {
  worker: Worker;
  waiting: Map<number, Waiting>;
}

/**
 * The Kafka producer in a worker thread of its own. kafkajs' request encoding, CRC, socket writes,
 * response decoding and its promise chains were ~7.5% of the gateway's main-thread CPU at
 * 5,000 calls/s (bench:gateway --profile, docs/benchmarks.md, twelfth session), on the thread that
 * answers every call, and a large batch after a bus outage (up to 1,000 events) was encoded there
 * in one go. The main thread keeps the linger and the batching and posts each batch here as
 * strings (one message per batch); the producer, its connection and its retries live in the thread.
 *
 * The thread starts on first use. If it dies, the requests it held reject (the outbox keeps and
 * retries their events) and the next request starts a new one. It holds the process open only while
 * a request is in flight, so it never keeps a stopped application alive.
 */
export class KafkaProducerThread implements BatchProducer {
  private readonly logger = new Logger('KafkaProducerThread');
  private running: Running | undefined;
  private nextId = 1;

  constructor(
    private readonly transport: KafkaTransportOptions,
    private readonly entry: ProducerThreadEntry = producerThreadEntry(),
  ) {}

  connect(): Promise<void> {
    return this.request({ op: 'connect' });
  }

  sendBatch(batches: TopicBatch[]): Promise<void> {
    return this.request({ op: 'send', batches });
  }

  async close(): Promise<void> {
    const running = this.running;
    if (!running) return;
    try {
      await this.request({ op: 'close' });
    } finally {
      this.running = undefined;
      await running.worker.terminate();
    }
  }

  /** The thread's id while it runs (tests). */
  get threadId(): number | undefined {
    return this.running?.worker.threadId;
  }

  private request(request: DistributiveOmit<ProducerRequest, 'id'>): Promise<void> {
    const running = (this.running ??= this.start());
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      if (running.waiting.size === 0) running.worker.ref();
      running.waiting.set(id, { resolve, reject });
      running.worker.postMessage({ ...request, id } as ProducerRequest);
    });
  }

  private start(): Running {
    const logLevels = LOG_LEVELS.filter((level) => Logger.isLevelEnabled(level));
    const workerData: ProducerThreadData = { transport: this.transport, logLevels };
    const worker = new Worker(this.entry.filename, { workerData, execArgv: this.entry.execArgv });
    worker.unref();
    const running: Running = { worker, waiting: new Map() };
    worker.on('message', (reply: ProducerReply) => this.onReply(running, reply));
    worker.on('error', (error) => this.lost(running, error));
    worker.on('exit', (code) => this.lost(running, new Error(`the Kafka producer thread stopped (exit code ${code})`)));
    return running;
  }

  private onReply(running: Running, reply: ProducerReply): void {
    if (reply.kind === 'log') {
      new Logger(reply.context)[reply.level](reply.message);
      return;
    }
    const waiting = running.waiting.get(reply.id);
    if (!waiting) return;
    running.waiting.delete(reply.id);
    if (running.waiting.size === 0) running.worker.unref();
    if (reply.kind === 'done') waiting.resolve();
    else waiting.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
  }

  /** The thread failed or stopped: what it held rejects, and the next request starts a new one. */
  private lost(running: Running, error: Error): void {
    if (this.running === running) {
      this.running = undefined;
      if (running.waiting.size > 0) this.logger.error(`the Kafka producer thread failed with ${running.waiting.size} request(s) in flight: ${error.message}`);
    }
    for (const waiting of running.waiting.values()) waiting.reject(error);
    running.waiting.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
