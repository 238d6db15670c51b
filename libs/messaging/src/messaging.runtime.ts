import { Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { ulid } from 'ulid';
import type { DeliveryRuntime } from './deliver';
import type { ProviderLookup } from './event-routes';
import type { EventServer } from './event-server';
import type { TransportPublisher } from './event-publisher';
import { InProcessBroker } from './in-process/in-process.broker';
import { InProcessEventPublisher } from './in-process/in-process.publisher';
import { InProcessEventServer } from './in-process/in-process.server';
import { KafkaEventPublisher } from './kafka/kafka.publisher';
import { KafkaEventServer } from './kafka/kafka.server';
import { resolveRetryPolicy } from './messaging.options';
import type { MessagingOptions } from './messaging.options';
import { MESSAGING_SYSTEM_VALUE_TOLLGATE_IN_PROCESS, MESSAGING_SYSTEM_VALUE_KAFKA } from '@tollgate/telemetry';

/**
 * Everything the messaging module owns for one application, and the order in which it starts
 * and stops:
 * - init: the Kafka producer connects (a bad cluster address fails the boot);
 * - bootstrap (after every onModuleInit): consumers start delivering;
 * - destroy: consumers stop and in-flight handlers finish, while the publisher still works (for
 *   dead letters and events the handlers publish);
 * - shutdown: the publisher waits for its sends in flight, then disconnects.
 */
export class MessagingRuntime implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  readonly publisher: TransportPublisher;
  /** Set for the in-process transport only. */
  readonly broker: InProcessBroker | undefined;
  /** Names this process's own consumer groups on compacted Kafka topics. */
  readonly instanceId = ulid();
  private readonly delivery: DeliveryRuntime;
  private readonly servers: EventServer[] = [];
  private bootstrapped = false;

  constructor(private readonly options: MessagingOptions) {
    const retry = resolveRetryPolicy(options.retry);
    if (options.transport.kind === 'kafka') {
      if (options.transport.brokers.length === 0) throw new Error('invalid messaging options: transport.brokers must list at least one Kafka broker');
      this.broker = undefined;
      this.publisher = new KafkaEventPublisher(options.transport);
    } else {
      this.broker = new InProcessBroker();
      this.publisher = new InProcessEventPublisher(this.broker);
    }
    const system = options.transport.kind === 'kafka' ? MESSAGING_SYSTEM_VALUE_KAFKA : MESSAGING_SYSTEM_VALUE_TOLLGATE_IN_PROCESS;
    this.delivery = { system, publisher: this.publisher, retry, logger: new Logger('EventDelivery') };
  }

  /**
   * A Nest transport strategy for this app's handlers, on the configured transport; `lookup`
   * resolves concurrencies given as concurrencyFrom(token, ...).
   */
  createServer(lookup?: ProviderLookup): CustomTransportStrategy & EventServer {
    const transport = this.options.transport;
    if (transport.kind === 'kafka') return new KafkaEventServer(transport, this.delivery, this.instanceId, lookup);
    if (!this.broker) throw new Error('in-process transport without a broker');
    return new InProcessEventServer(this.broker, this.delivery, lookup);
  }

  /** Starts the server's deliveries now if the app is initialised, else once it is. */
  async attach(server: EventServer): Promise<void> {
    this.servers.push(server);
    if (this.bootstrapped) await server.startDelivering();
  }

  async onModuleInit(): Promise<void> {
    if (this.publisher instanceof KafkaEventPublisher) await this.publisher.connect();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.bootstrapped = true;
    for (const server of this.servers) await server.startDelivering();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stopDelivering()));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
  }
}
