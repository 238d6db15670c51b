import { Catch, UseFilters } from '@nestjs/common';
import type { ArgumentsHost, RpcExceptionFilter } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { EventContract } from '@tollgate/contracts';
import { throwError } from 'rxjs';
import type { Observable } from 'rxjs';
import { CONSUMER_BINDING } from './messaging.constants';

/** Where a handler listens: one topic, one consumer group. */
export interface ConsumerBinding {
  readonly topic: string;
  readonly group: string;
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
 */
export function ConsumeEvent(contract: EventContract, options: { group: string }): MethodDecorator {
  if (!GROUP_NAME.test(options.group)) {
    throw new Error(`@ConsumeEvent(${contract.topic}): group "${options.group}" must be 1-100 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit`);
  }
  const binding: ConsumerBinding = { topic: contract.topic, group: options.group };
  return (target, propertyKey, descriptor) => {
    EventPattern(consumerPattern(binding), { [CONSUMER_BINDING]: binding })(target, propertyKey, descriptor);
    UseFilters(passErrors)(target, propertyKey, descriptor);
    // Without explicit parameter metadata Nest passes the payload only; the handler also gets the context.
    Payload()(target, propertyKey, 0);
    Ctx()(target, propertyKey, 1);
  };
}

/** The Nest message pattern of a binding (Nest turns object patterns into a stable route string). */
export function consumerPattern(binding: ConsumerBinding): { topic: string; group: string } {
  return { topic: binding.topic, group: binding.group };
}
