import type { LogLevel } from '@nestjs/common';
import type { KafkaTransportOptions } from '../messaging.options';

/** One topic's messages of a Produce request, as kafkajs' sendBatch takes them (cloneable: strings only). */
export interface TopicBatch {
  topic: string;
  messages: Array<{ key: string; value: string; headers: Record<string, string> }>;
}

/** What the producer thread starts with (its `workerData`). */
export interface ProducerThreadData {
  transport: KafkaTransportOptions;
  /** The log levels the main thread writes: the thread forwards only those. */
  logLevels: LogLevel[];
}

/** Main thread → producer thread. Each request is answered once, with its id. */
export type ProducerRequest = { id: number; op: 'connect' } | { id: number; op: 'send'; batches: TopicBatch[] } | { id: number; op: 'close' };

/**
 * Producer thread → main thread: a request's outcome, or a log line (kafkajs and Nest's
 * ClientKafka log through Nest's Logger; the main thread writes the line with its own logger,
 * levels and format).
 */
export type ProducerReply =
  | { kind: 'done'; id: number }
  | { kind: 'failed'; id: number; error: { name: string; message: string } }
  | { kind: 'log'; level: LogLevel; context: string; message: string };
