import type { LoggerService } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { ConsumerBinding } from './consume-event.decorator';
import type { EventContext } from './event-context';
import { CONSUMER_BINDING } from './messaging.constants';

/** One @ConsumeEvent handler as a transport sees it. */
export interface EventRoute extends ConsumerBinding {
  /** Runs the handler through Nest (pipes, guards, interceptors, filters); rejects with the handler's error. */
  invoke(event: unknown, ctx: EventContext): Promise<void>;
}

function bindingOf(handler: MessageHandler): ConsumerBinding | undefined {
  const binding: unknown = handler.extras?.[CONSUMER_BINDING];
  if (typeof binding !== 'object' || binding === null) return undefined;
  const { topic, group } = binding as Record<string, unknown>;
  return typeof topic === 'string' && typeof group === 'string' ? { topic, group } : undefined;
}

/**
 * Reads the @ConsumeEvent handlers out of a Nest server's handler registry.
 *
 * Nest registers one handler per normalised pattern and links a second handler for the same
 * pattern through `.next`, running both on every call (forkJoin). @ConsumeEvent's pattern is
 * `{ topic, group }`, so handlers of different groups are separate registry entries and a failure
 * in one never re-runs another. A `.next` link therefore means two handlers share a topic and a
 * group, which would make them retry together: refused at start-up.
 */
export function collectEventRoutes(handlers: Map<string, MessageHandler>, logger: LoggerService): EventRoute[] {
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
    routes.push({ ...binding, invoke: (event, ctx) => runEventHandler(handler, event, ctx) });
  }
  return routes;
}

/** Awaits the handler, including an Observable result (what interceptors and filters return). */
async function runEventHandler(handler: MessageHandler, event: unknown, ctx: EventContext): Promise<void> {
  const result: unknown = await handler(event, ctx);
  if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
}
