import { Kafka, logLevel } from 'kafkajs';
import { KafkaTestBroker } from '@tollgate/testing';
import { patchKafkajsIdleLoop } from './kafkajs-idle-loop';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the queue the patch changes
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: { checkPendingRequests(): void } };

/** How often kafkajs' request queues checked for pending requests while a connected producer sat idle for `ms`. */
async function idleChecks(broker: KafkaTestBroker, ms: number): Promise<{ checks: number; sent: boolean }> {
  const producer = new Kafka({ clientId: 'idle-loop-spec', brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const original = RequestQueue.prototype.checkPendingRequests;
  let checks = 0;
  RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
    checks += 1;
    return original.call(this);
  };
  try {
    // The idle spell is what is measured here, not a wait for something to happen.
    await new Promise<void>((resolve) => setTimeout(resolve, ms));
    const before = checks;
    // The connection still works: a send after the idle spell is acknowledged.
    await producer.send({ topic: 'idle-loop', messages: [{ value: 'after idle' }] });
    return { checks: before, sent: true };
  } finally {
    RequestQueue.prototype.checkPendingRequests = original;
    await producer.disconnect();
  }
}

describe('kafkajs idle request-queue loop', () => {
  let broker: KafkaTestBroker;

  beforeAll(async () => {
    broker = await KafkaTestBroker.start({ partitions: 1 });
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('spins every millisecond on an idle connection without the patch, and not at all with it', async () => {
    const unpatched = await idleChecks(broker, 300);
    // About one check per millisecond per connection (timers are coarse on a busy machine).
    expect(unpatched.checks).toBeGreaterThan(50);
    expect(patchKafkajsIdleLoop()).toBe(true);
    expect(patchKafkajsIdleLoop()).toBe(false); // once per process
    const patched = await idleChecks(broker, 300);
    expect(patched).toEqual({ checks: 0, sent: true });
    expect(broker.topicMessages('idle-loop').map((m) => m.value?.toString())).toEqual(['after idle', 'after idle']);
  });
});
