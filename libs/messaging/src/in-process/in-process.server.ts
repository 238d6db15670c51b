import { Logger } from '@nestjs/common';
import { Server } from '@nestjs/microservices';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { deliver } from '../deliver';
import type { DeliveryRuntime } from '../deliver';
import { collectEventRoutes } from '../event-routes';
import type { ProviderLookup } from '../event-routes';
import type { EventServer } from '../event-server';
import type { BrokerSubscription, InProcessBroker } from './in-process.broker';

/** Transport id of the in-process bus (for `@EventPattern(..., IN_PROCESS_TRANSPORT)` filtering). */
export const IN_PROCESS_TRANSPORT = Symbol('tollgate-in-process');

/**
 * Nest custom transport strategy for the in-process bus: one broker subscription per
 * (topic, group) entry of Nest's handler registry, each delivered through the shared deliver(),
 * up to the route's concurrency at a time (one key's messages one after another unless the route's
 * ordering is 'none').
 */
export class InProcessEventServer extends Server implements CustomTransportStrategy, EventServer {
  override transportId = IN_PROCESS_TRANSPORT;
  // deliver() awaits handlers and owns their failures (retry, dead letter), as ServerKafka does.
  override readonly propagatesEventHandlerErrors = true;
  protected override readonly logger = new Logger('InProcessEventServer');
  private subscriptions: BrokerSubscription[] = [];
  private listening = false;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly broker: InProcessBroker,
    private readonly runtime: DeliveryRuntime,
    private readonly lookup?: ProviderLookup,
  ) {
    super();
  }

  /** Subscribes every @ConsumeEvent handler, paused: nothing is delivered before startDelivering(). */
  listen(callback: (error?: unknown) => void): void {
    if (this.listening) return callback();
    try {
      const routes = collectEventRoutes(this.getHandlers(), this.logger, this.lookup);
      this.subscriptions = routes.map((route) =>
        this.broker.subscribe(route.topic, route.group, (message) => deliver(message, route, this.runtime), { concurrency: route.concurrency, ordering: route.ordering }),
      );
      this.listening = true;
      callback();
    } catch (error) {
      for (const subscription of this.subscriptions) subscription.unsubscribe();
      this.subscriptions = [];
      callback(error);
    }
  }

  startDelivering(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.start();
    return Promise.resolve();
  }

  /**
   * Drains this server's queues (every message in flight included), and messages handlers publish
   * meanwhile, then unsubscribes.
   * In memory nothing survives the process, so stopping earlier would lose accepted events.
   */
  stopDelivering(): Promise<void> {
    this.stopping ??= (async () => {
      await this.broker.whenIdle(this.subscriptions);
      for (const subscription of this.subscriptions) subscription.unsubscribe();
    })();
    return this.stopping;
  }

  async close(): Promise<void> {
    await this.stopDelivering();
  }

  on(): never {
    throw new Error('InProcessEventServer does not emit events: use @ConsumeEvent handlers');
  }

  unwrap<T>(): T {
    return this.broker as T;
  }
}
