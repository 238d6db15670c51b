import { LlmCallV1 } from '@tollgate/contracts';
import { MESSAGING_SYSTEM_VALUE_TOLLGATE_IN_PROCESS } from '@tollgate/telemetry';
import { llmCallEvent } from '@tollgate/testing';
import { SERIALISE_CHUNK, TransportPublisher } from './event-publisher';
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

/** A transport that keeps each batch it is handed, held until the test settles it. */
class BatchTransport extends TransportPublisher {
  protected readonly system = MESSAGING_SYSTEM_VALUE_TOLLGATE_IN_PROCESS;
  readonly batches: Array<{ messages: readonly OutgoingMessage[]; resolve: () => void }> = [];
  readonly log: string[] = [];

  protected send(messages: readonly OutgoingMessage[]): Promise<void> {
    return new Promise((resolve) => this.batches.push({ messages, resolve }));
  }

  protected closeTransport(): Promise<void> {
    this.log.push('transport closed');
    return Promise.resolve();
  }
}

describe('TransportPublisher.sendPrepared()', () => {
  /** Events whose serialisation is written to `log` as `e<index>`. */
  const loggingEvents = (count: number, log: string[]): ReturnType<typeof llmCallEvent>[] =>
    Array.from({ length: count }, (_, index) => {
      const event = llmCallEvent({ tenantId: `t${index}` });
      return { ...event, toJSON: () => (log.push(`e${index}`), event) } as ReturnType<typeof llmCallEvent>;
    });

  it('serialises a batch SERIALISE_CHUNK events at a time, letting the event loop run between chunks, and sends it as one batch in order', async () => {
    const publisher = new BatchTransport();
    const count = SERIALISE_CHUNK * 2 + 5;
    const prepared = loggingEvents(count, publisher.log).map((event) => publisher.prepare(LlmCallV1, event, { validate: false }));
    setImmediate(() => publisher.log.push('turn'));
    const sending = publisher.sendPrepared(prepared);
    await expectBatches(publisher, 1);

    // The macrotask queued before the send ran after the first chunk, not after the whole batch.
    expect(publisher.log.indexOf('turn')).toBe(SERIALISE_CHUNK);
    expect(publisher.log.filter((entry) => entry.startsWith('e'))).toEqual(Array.from({ length: count }, (_, index) => `e${index}`));
    expect(publisher.batches[0]!.messages.map((m) => m.key)).toEqual(Array.from({ length: count }, (_, index) => `t${index}`));
    publisher.batches[0]!.resolve();
    await sending;
  });

  it('counts a batch being serialised among the sends close() waits for', async () => {
    const publisher = new BatchTransport();
    const prepared = loggingEvents(SERIALISE_CHUNK * 3, []).map((event) => publisher.prepare(LlmCallV1, event, { validate: false }));
    const sending = publisher.sendPrepared(prepared);
    const closing = publisher.close().then(() => publisher.log.push('close resolved'));

    await expectBatches(publisher, 1);
    expect(publisher.log).toEqual([]); // handed over whole, and the transport still open
    publisher.batches[0]!.resolve();
    await sending;
    await closing;
    expect(publisher.log).toEqual(['transport closed', 'close resolved']);
    expect(publisher.batches[0]!.messages).toHaveLength(SERIALISE_CHUNK * 3);
  });
});

/** Turns the event loop until the transport holds `count` batches (a bounded number of turns). */
async function expectBatches(publisher: BatchTransport, count: number): Promise<void> {
  for (let turn = 0; turn < 100 && publisher.batches.length < count; turn++) await settle();
  expect(publisher.batches).toHaveLength(count);
}
