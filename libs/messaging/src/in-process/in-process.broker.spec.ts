import { TOPICS } from '@tollgate/contracts';
import { InProcessBroker } from './in-process.broker';
import type { BrokerMessage } from './in-process.broker';

function message(topic: string, key: string, value: string): BrokerMessage {
  return { topic, key, value: Buffer.from(value), headers: {} };
}

describe('InProcessBroker', () => {
  it('keeps the latest message per key of a compacted topic for groups that join after others consumed', async () => {
    const broker = new InProcessBroker();
    const early: string[] = [];
    broker.subscribe(TOPICS.governanceApiKey, 'early', async (m) => void early.push(m.value.toString())).start();

    broker.publish(message(TOPICS.governanceApiKey, 't_1', 'a1'));
    broker.publish(message(TOPICS.governanceApiKey, 't_2', 'b1'));
    broker.publish(message(TOPICS.governanceApiKey, 't_1', 'a2'));
    await broker.whenIdle();

    const late: string[] = [];
    broker.subscribe(TOPICS.governanceApiKey, 'late', async (m) => void late.push(m.value.toString())).start();
    await broker.whenIdle();

    expect(early).toEqual(['a1', 'b1', 'a2']);
    expect(late).toEqual(['b1', 'a2']);
  });

  it('keeps nothing of an ordinary topic once delivered', async () => {
    const broker = new InProcessBroker();
    broker.subscribe(TOPICS.llmCall, 'first', async () => undefined).start();
    broker.publish(message(TOPICS.llmCall, 't_1', 'x'));
    await broker.whenIdle();

    const late: string[] = [];
    broker.subscribe(TOPICS.llmCall, 'late', async (m) => void late.push(m.value.toString())).start();
    await broker.whenIdle();

    expect(late).toEqual([]);
    expect(broker.retainedMessages(TOPICS.llmCall)).toEqual([]);
  });

  it('delivers nothing on the publisher\'s turn, and nothing to a subscription before start()', async () => {
    const broker = new InProcessBroker();
    const seen: string[] = [];
    const subscription = broker.subscribe(TOPICS.llmCall, 'g', async (m) => void seen.push(m.value.toString()));

    broker.publish(message(TOPICS.llmCall, 't_1', 'x'));
    await broker.whenIdle();
    expect(seen).toEqual([]);

    subscription.start();
    expect(seen).toEqual([]);
    await broker.whenIdle();
    expect(seen).toEqual(['x']);
  });

  it('reports, rather than swallows, a message its sink could not take', async () => {
    const broker = new InProcessBroker();
    const after: string[] = [];
    const error = jest.spyOn((broker as unknown as { logger: { error: (m: string) => void } }).logger, 'error').mockImplementation(() => undefined);
    broker
      .subscribe(TOPICS.llmCall, 'g', async (m) => {
        if (m.value.toString() === 'bad') throw new Error('dead-letter publish failed');
        after.push(m.value.toString());
      })
      .start();

    broker.publish(message(TOPICS.llmCall, 't_1', 'bad'));
    broker.publish(message(TOPICS.llmCall, 't_1', 'good'));
    await broker.whenIdle();

    expect(after).toEqual(['good']);
    expect(error).toHaveBeenCalledWith(expect.stringContaining('dead-letter publish failed'));
  });
});
