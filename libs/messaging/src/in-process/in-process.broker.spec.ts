import { setTimeout as delay } from 'node:timers/promises';
import { TOPICS } from '@tollgate/contracts';
import { expectEventually } from '@tollgate/testing';
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

  describe('with concurrency', () => {
    it('hands up to N messages to the sink at once, never more', async () => {
      const broker = new InProcessBroker();
      let inFlight = 0;
      let maxInFlight = 0;
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const handled: string[] = [];
      broker
        .subscribe(
          TOPICS.llmCall,
          'g',
          async (m) => {
            inFlight += 1;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await gate;
            inFlight -= 1;
            handled.push(m.value.toString());
          },
          { concurrency: 8 },
        )
        .start();

      for (let i = 0; i < 40; i += 1) broker.publish(message(TOPICS.llmCall, `t_${i}`, `m${i}`));
      await expectEventually(() => expect(inFlight).toBe(8));
      release();
      await broker.whenIdle();

      expect(maxInFlight).toBe(8);
      expect(handled).toHaveLength(40);
    });

    it("keeps each key's order over 500 messages on 20 keys with random handler delays, while keys overlap", async () => {
      const broker = new InProcessBroker();
      const seen = new Map<string, number[]>();
      let inFlight = 0;
      let maxInFlight = 0;
      broker
        .subscribe(
          TOPICS.llmCall,
          'g',
          async (m) => {
            inFlight += 1;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await delay(Math.floor(Math.random() * 3));
            const [key, n] = m.value.toString().split(':');
            seen.set(key, [...(seen.get(key) ?? []), Number(n)]);
            inFlight -= 1;
          },
          { concurrency: 16 },
        )
        .start();

      for (let i = 0; i < 500; i += 1) broker.publish(message(TOPICS.llmCall, `t_${i % 20}`, `t_${i % 20}:${i}`));
      await broker.whenIdle();

      expect(seen.size).toBe(20);
      for (const sequence of seen.values()) {
        expect(sequence).toHaveLength(25);
        expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
      }
      expect(maxInFlight).toBeGreaterThan(1);
      expect(maxInFlight).toBeLessThanOrEqual(16);
    });

    it('runs one key one message at a time, however high the concurrency', async () => {
      const broker = new InProcessBroker();
      let inFlight = 0;
      let maxInFlight = 0;
      broker
        .subscribe(
          TOPICS.llmCall,
          'g',
          async () => {
            inFlight += 1;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await delay(1);
            inFlight -= 1;
          },
          { concurrency: 16 },
        )
        .start();

      for (let i = 0; i < 20; i += 1) broker.publish(message(TOPICS.llmCall, 't_same', `m${i}`));
      await broker.whenIdle();

      expect(maxInFlight).toBe(1);
    });

    it("with ordering 'none', overlaps one key's messages, still at most N at once, and delivers each once", async () => {
      const broker = new InProcessBroker();
      let inFlight = 0;
      let maxInFlight = 0;
      const handled: string[] = [];
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      broker
        .subscribe(
          TOPICS.llmCall,
          'g',
          async (m) => {
            inFlight += 1;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await gate;
            await delay(Math.floor(Math.random() * 3));
            handled.push(m.value.toString());
            inFlight -= 1;
          },
          { concurrency: 8, ordering: 'none' },
        )
        .start();

      for (let i = 0; i < 100; i += 1) broker.publish(message(TOPICS.llmCall, 't_same', `m${i}`));
      // Eight messages of the one key are in the handler together, and no ninth joins them.
      await expectEventually(() => expect(inFlight).toBe(8));
      await delay(10);
      expect(inFlight).toBe(8);
      release();
      await broker.whenIdle();

      expect(maxInFlight).toBe(8);
      expect([...handled].sort()).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`).sort());
    });

    it('makes whenIdle() wait for every message in flight, not only the first', async () => {
      const broker = new InProcessBroker();
      const releases: Array<() => void> = [];
      const done: string[] = [];
      broker
        .subscribe(
          TOPICS.llmCall,
          'g',
          async (m) => {
            await new Promise<void>((resolve) => releases.push(resolve));
            done.push(m.value.toString());
          },
          { concurrency: 4 },
        )
        .start();
      for (let i = 0; i < 4; i += 1) broker.publish(message(TOPICS.llmCall, `t_${i}`, `m${i}`));
      await expectEventually(() => expect(releases).toHaveLength(4));

      let idle = false;
      const idling = broker.whenIdle().then(() => (idle = true));
      for (const release of releases.slice(0, 3)) release();
      await expectEventually(() => expect(done).toHaveLength(3));
      expect(idle).toBe(false);

      releases[3]();
      await idling;
      expect(done).toHaveLength(4);
    });
  });
});
