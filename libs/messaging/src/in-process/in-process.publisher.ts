import { TransportPublisher } from '../event-publisher';
import type { OutgoingMessage } from '../event-publisher';
import { MESSAGING_SYSTEM_VALUE_TOLLGATE_IN_PROCESS } from '@tollgate/telemetry';
import type { InProcessBroker } from './in-process.broker';

/**
 * Publishes onto the in-process bus. The message travels as JSON bytes, as on Kafka: consumers
 * validate the same way and cannot mutate the publisher's object. Resolves once enqueued.
 */
export class InProcessEventPublisher extends TransportPublisher {
  protected readonly system = MESSAGING_SYSTEM_VALUE_TOLLGATE_IN_PROCESS;

  constructor(private readonly broker: InProcessBroker) {
    super();
  }

  protected send(messages: readonly OutgoingMessage[]): Promise<void> {
    for (const message of messages) this.broker.publish({ topic: message.topic, key: message.key, value: Buffer.from(message.value, 'utf8'), headers: message.headers });
    return Promise.resolve();
  }

  protected closeTransport(): Promise<void> {
    return Promise.resolve();
  }
}
