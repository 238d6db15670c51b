import { Catch, UseFilters } from '@nestjs/common';
import type { ArgumentsHost, InjectionToken, RpcExceptionFilter } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { EventContract } from '@tollgate/contracts';
import { throwError } from 'rxjs';
import type { Observable } from 'rxjs';
import { MESSAGE_ORDERINGS } from './keyed-scheduler';
import type { MessageOrdering } from './keyed-scheduler';
import { CONSUMER_BINDING } from './messaging.constants';

/**
 * A concurrency read from a provider when the consumers start (decorators run before any
 * configuration is loaded): build it with concurrencyFrom().
 */
export interface ProvidedConcurrency {
  readonly token: InjectionToken;
  readonly select: (value: unknown) => number;
}

/** `concurrency: concurrencyFrom(CONFIG_TOKEN, (config: MyConfig) => config.MY_CONCURRENCY)`. */
export function concurrencyFrom<T>(token: InjectionToken, select: (value: T) => number): ProvidedConcurrency {
  return { token, select: select as (value: unknown) => number };
}

export interface ConsumeEventOptions {
  /** Consumer group: 1-100 characters of a-z, 0-9, '.', '_', '-'. */
  group: string;
  /**
   * Most messages of this (topic, group) handled at once per process (Kafka: per consumer).
   * With ordering 'key' (the default) messages with the same key (the tenant id) still run one
   * after another, in order; a message waits while an earlier one of its key is in flight.
   * Default 1: one message at a time.
   */
  concurrency?: number | ProvidedConcurrency;
  /**
   * 'key' (default): one key's messages one after another, in order. 'none': messages of the same
   * key may run at once (still at most `concurrency` in all), for handlers whose effects do not
   * depend on order (idempotent, commutative). On Kafka the committed offset still never passes a
   * message in flight, so a crash redelivers rather than loses. No effect with concurrency 1.
   */
  ordering?: MessageOrdering;
}

/** Where a handler listens: one topic, one consumer group, how many messages it takes at once, and whether one key's wait for each other. */
export interface ConsumerBinding {
  readonly topic: string;
  readonly group: string;
  readonly concurrency: number | ProvidedConcurrency;
  readonly ordering: MessageOrdering;
}

/** Checks an ordering value (at decoration: it is never read from a provider). */
export function checkOrdering(value: unknown, where: string): MessageOrdering {
  if (!MESSAGE_ORDERINGS.includes(value as MessageOrdering)) throw new Error(`${where}: ordering must be 'key' or 'none' (got ${String(value)})`);
  return value as MessageOrdering;
}

/** Checks a concurrency value (at decoration for numbers, at start-up for provided ones). */
export function checkConcurrency(value: number, where: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${where}: concurrency must be a whole number >= 1 (got ${value})`);
  return value;
}

const GROUP_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/**
 * Hands a handler's error to the transport unchanged. Without it Nest's RPC exception handler
 * logs the error and replaces it with "Internal server error", and the retry/dead-letter logic
 * could neither see the real message nor avoid a second log line.
 */
@Catch()
class PassEventHandlerErrorsToTransport implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

const passErrors = new PassEventHandlerErrorsToTransport();

/**
 * Marks a method of a Nest @Controller() as the handler of `contract`'s events for consumer group
 * `group`. Every group receives every message; within a group each message is handled once (per
 * process in-process, per group across replicas on Kafka). The handler is called as
 * `(event, ctx: EventContext)` with an event already validated against the contract.
 *
 * Built on Nest's @EventPattern with the pattern `{ topic, group }`, so each (topic, group) pair is
 * its own entry in the server's handler registry and is retried and dead-lettered on its own.
 *
 * `concurrency` (default 1) lets up to N messages of the pair be handled at once, keyed
 * serialisation kept (see ConsumeEventOptions); a number, or concurrencyFrom(token, select) to
 * read it from a provider (a validated config) when the consumers start. `ordering: 'none'` drops
 * the keyed serialisation for handlers that do not need it.
 */
export function ConsumeEvent(contract: EventContract, options: ConsumeEventOptions): MethodDecorator {
  if (!GROUP_NAME.test(options.group)) {
    throw new Error(`@ConsumeEvent(${contract.topic}): group "${options.group}" must be 1-100 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit`);
  }
  const where = `@ConsumeEvent(${contract.topic}, group ${options.group})`;
  const concurrency = options.concurrency ?? 1;
  if (typeof concurrency === 'number') checkConcurrency(concurrency, where);
  const ordering = checkOrdering(options.ordering ?? 'key', where);
  const binding: ConsumerBinding = { topic: contract.topic, group: options.group, concurrency, ordering };
  return (target, propertyKey, descriptor) => {
    EventPattern(consumerPattern(binding), { [CONSUMER_BINDING]: binding })(target, propertyKey, descriptor);
    UseFilters(passErrors)(target, propertyKey, descriptor);
    // Without explicit parameter metadata Nest passes the payload only; the handler also gets the context.
    Payload()(target, propertyKey, 0);
    Ctx()(target, propertyKey, 1);
  };
}

/** The Nest message pattern of a binding (Nest turns object patterns into a stable route string). */
export function consumerPattern(binding: Pick<ConsumerBinding, 'topic' | 'group'>): { topic: string; group: string } {
  return { topic: binding.topic, group: binding.group };
}
