import { LlmCallV1 } from '@tollgate/contracts';
import { MESSAGING_SYSTEM_VALUE_TOLLGATE_IN_PROCESS } from '@tollgate/telemetry';
import { llmCallEvent } from '@tollgate/testing';
import { TransportPublisher } from './event-publisher';
import type { OutgoingMessage } from './event-publisher';

/** A transport whose sends settle when the test says so, and which records when it is closed. */
class HeldTransport extends TransportPublisher {
  protected readonly system = MESSAGING_SYSTEM_VALUE_TOLLGATE_IN_PROCESS;
  readonly held: Array<{ message: OutgoingMessage; resolve: () => void; reject: (error: Error) => void }> = [];
  readonly log: string[] = [];

  // publish() hands over one message at a time.
  protected send([message]: readonly OutgoingMessage[]): Promise<void> {
    return new Promise((resolve, reject) => this.held.push({ message, resolve, reject }));
  }

  protected closeTransport(): Promise<void> {
    this.log.push('transport closed');
    return Promise.resolve();
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TransportPublisher.close()', () => {
  it('closes the transport only after every send in flight has settled, failed ones included', async () => {
    const publisher = new HeldTransport();
    const first = publisher.publish(LlmCallV1, llmCallEvent({ tenantId: 't1' }));
    const second = publisher.publish(LlmCallV1, llmCallEvent({ tenantId: 't2' }));
    expect(publisher.held.map((h) => h.message.key)).toEqual(['t1', 't2']);

    const closing = publisher.close().then(() => publisher.log.push('close resolved'));
    await expect(publisher.publish(LlmCallV1, llmCallEvent())).rejects.toThrow(/closed/);

    publisher.held[0]!.resolve();
    await first;
    await settle();
    expect(publisher.log).toEqual([]); // the second is still in flight

    publisher.held[1]!.reject(new Error('broker gone'));
    await expect(second).rejects.toThrow('broker gone');
    await closing;
    expect(publisher.log).toEqual(['transport closed', 'close resolved']);
  });

  it('closes at once when nothing is in flight, and only once', async () => {
    const publisher = new HeldTransport();
    const event = publisher.publish(LlmCallV1, llmCallEvent());
    publisher.held[0]!.resolve();
    await event;
    await publisher.close();
    await publisher.close();
    expect(publisher.log).toEqual(['transport closed']);
  });
});
