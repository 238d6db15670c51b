import type { z } from 'zod';
import type { TopicName } from '../topics';

/** A topic, the schema of what travels on it, and how the topic is kept. */
export interface EventContract<S extends z.ZodType = z.ZodType> {
  readonly topic: TopicName;
  readonly type: string;
  readonly version: number;
  readonly schema: S;
  /**
   * Compacted topics hold state (latest per key); every consumer instance reads them from the
   * beginning, instead of sharing a consumer group's offsets.
   */
  readonly compacted: boolean;
}

export type EventOf<C extends EventContract> = z.infer<C['schema']>;

export function defineEvent<S extends z.ZodType>(contract: EventContract<S>): EventContract<S> {
  return Object.freeze(contract);
}
