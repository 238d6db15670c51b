import type { LoggerService } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { checkConcurrency } from './consume-event.decorator';
import type { ConsumerBinding, ProvidedConcurrency } from './consume-event.decorator';
import type { EventContext } from './event-context';
import type { MessageOrdering } from './keyed-scheduler';
import { CONSUMER_BINDING } from './messaging.constants';

/** One @ConsumeEvent handler as a transport sees it. */
export interface EventRoute {
  readonly topic: string;
  readonly group: string;
  /** Most messages handled at once (>= 1). */
  readonly concurrency: number;
  /** 'key' (the default when left out): same-key messages one after another; 'none': they may overlap. */
  readonly ordering?: MessageOrdering;
  /** Runs the handler through Nest (pipes, guards, interceptors, filters); rejects with the handler's error. */
  invoke(event: unknown, ctx: EventContext): Promise<void>;
}

/** Looks a provider up in the application (for concurrencyFrom()). */
export type ProviderLookup = (token: ProvidedConcurrency['token']) => unknown;

function bindingOf(handler: MessageHandler): ConsumerBinding | undefined {
  const binding: unknown = handler.extras?.[CONSUMER_BINDING];
  if (typeof binding !== 'object' || binding === null) return undefined;
  const { topic, group, concurrency, ordering } = binding as Record<string, unknown>;
  if (typeof topic !== 'string' || typeof group !== 'string') return undefined;
  return { topic, group, concurrency: (concurrency ?? 1) as ConsumerBinding['concurrency'], ordering: ordering === 'none' ? 'none' : 'key' };
}

function resolveConcurrency(binding: ConsumerBinding, lookup: ProviderLookup | undefined): number {
  const where = `@ConsumeEvent(${binding.topic}, group ${binding.group})`;
  const { concurrency } = binding;
  if (typeof concurrency === 'number') return checkConcurrency(concurrency, where);
  if (!lookup) throw new Error(`${where}: concurrency comes from a provider, but the transport was started without a way to look providers up`);
  return checkConcurrency(concurrency.select(lookup(concurrency.token)), where);
}

/**
 * Reads the @ConsumeEvent handlers out of a Nest server's handler registry.
 *
 * Nest registers one handler per normalised pattern and links a second handler for the same
 * pattern through `.next`, running both on every call (forkJoin). @ConsumeEvent's pattern is
 * `{ topic, group }`, so handlers of different groups are separate registry entries and a failure
 * in one never re-runs another. A `.next` link therefore means two handlers share a topic and a
 * group, which would make them retry together: refused at start-up.
 *
 * A concurrency given as concurrencyFrom(token, select) is read here through `lookup`.
 */
export function collectEventRoutes(handlers: Map<string, MessageHandler>, logger: LoggerService, lookup?: ProviderLookup): EventRoute[] {
  const routes: EventRoute[] = [];
  for (const [pattern, handler] of handlers) {
    const binding = bindingOf(handler);
    if (!binding) {
      logger.warn(`ignoring the handler for pattern ${pattern}: Tollgate's event transports only serve @ConsumeEvent handlers`);
      continue;
    }
    if (handler.next) {
      throw new Error(`two @ConsumeEvent handlers for ${binding.topic} share the group "${binding.group}": give each its own group`);
    }
    routes.push({
      topic: binding.topic,
      group: binding.group,
      concurrency: resolveConcurrency(binding, lookup),
      ordering: binding.ordering,
      invoke: (event, ctx) => runEventHandler(handler, event, ctx),
    });
  }
  return routes;
}

/** Awaits the handler, including an Observable result (what interceptors and filters return). */
async function runEventHandler(handler: MessageHandler, event: unknown, ctx: EventContext): Promise<void> {
  const result: unknown = await handler(event, ctx);
  if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
}
