/**
 * KafkaEventServer with concurrency > 1 against the project's Kafka-protocol test broker: real
 * kafkajs consumers, consumer groups and committed offsets.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Controller, Injectable } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DeadLetterV1, LlmCallV1, TOPICS } from '@tollgate/contracts';
import type { EventOf } from '@tollgate/contracts';
import { KafkaTestBroker, expectEventually, llmCallEvent } from '@tollgate/testing';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { ConsumeEvent, MessagingModule, concurrencyFrom, startEventConsumers } from '../index';
import type { EventContext, KafkaConsumerTuning } from '../index';

type LlmCall = EventOf<typeof LlmCallV1>;

const CONCURRENCY = 8;
const GROUP = 'ledger-test';
const CONSUMER_SETTINGS = Symbol('CONSUMER_SETTINGS');

/** What the handlers saw, how many ran at once, and how each call should behave. */
@Injectable()
class Probe {
  readonly handled: Array<{ event: LlmCall; ctx: EventContext }> = [];
  readonly attempts: Array<{ requestId: string; attempt: number }> = [];
  readonly letters: Array<EventOf<typeof DeadLetterV1>> = [];
  inFlight = 0;
  maxInFlight = 0;
  readonly inFlightByKey = new Map<string, number>();
  /** Most messages of one key (tenant) in the handler at once. */
  maxInFlightOfOneKey = 0;
  behaviour: (event: LlmCall, ctx: EventContext) => Promise<void> | void = () => undefined;

  requestIds(): string[] {
    return this.handled.map((h) => h.event.requestId);
  }

  async observe(event: LlmCall, ctx: EventContext): Promise<void> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const ofKey = (this.inFlightByKey.get(event.tenantId) ?? 0) + 1;
    this.inFlightByKey.set(event.tenantId, ofKey);
    this.maxInFlightOfOneKey = Math.max(this.maxInFlightOfOneKey, ofKey);
    this.attempts.push({ requestId: event.requestId, attempt: ctx.attempt });
    try {
      await this.behaviour(event, ctx);
      this.handled.push({ event, ctx });
    } finally {
      this.inFlight -= 1;
      this.inFlightByKey.set(event.tenantId, (this.inFlightByKey.get(event.tenantId) ?? 1) - 1);
    }
  }
}

@Controller()
class ConcurrentConsumer {
  constructor(private readonly probe: Probe) {}

  @ConsumeEvent(LlmCallV1, { group: GROUP, concurrency: concurrencyFrom(CONSUMER_SETTINGS, (settings: { concurrency: number }) => settings.concurrency) })
  onCall(event: LlmCall, ctx: EventContext): Promise<void> {
    return this.probe.observe(event, ctx);
  }
}

const UNORDERED_GROUP = 'ledger-test-unordered';

/** The same handler without per-key ordering (as the cost-ledger runs). */
@Controller()
class UnorderedConsumer {
  constructor(private readonly probe: Probe) {}

  @ConsumeEvent(LlmCallV1, { group: UNORDERED_GROUP, ordering: 'none', concurrency: concurrencyFrom(CONSUMER_SETTINGS, (settings: { concurrency: number }) => settings.concurrency) })
  onCall(event: LlmCall, ctx: EventContext): Promise<void> {
    return this.probe.observe(event, ctx);
  }
}

@Controller()
class DeadLetterWatcher {
  constructor(private readonly probe: Probe) {}

  @ConsumeEvent(DeadLetterV1, { group: 'dlq-watch' })
  onLetter(letter: EventOf<typeof DeadLetterV1>): void {
    this.probe.letters.push(letter);
  }
}

interface Harness {
  app: INestApplication;
  probe: Probe;
}

let broker: KafkaTestBroker;
const apps: INestApplication[] = [];

interface AppOptions {
  tuning?: KafkaConsumerTuning;
  retry?: { attempts: number; initialDelayMs: number; maxDelayMs: number };
  concurrency?: number;
  /** Set before any delivery starts. */
  behaviour?: Probe['behaviour'];
  /** The consumer under test (default: the keyed one). */
  consumer?: typeof ConcurrentConsumer | typeof UnorderedConsumer;
}

async function startApp(options: AppOptions = {}): Promise<Harness> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      MessagingModule.forRoot({
        transport: { kind: 'kafka', brokers: broker.brokers, clientId: 'concurrency-test', consumer: options.tuning },
        retry: options.retry ?? { attempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
      }),
    ],
    controllers: [options.consumer ?? ConcurrentConsumer, DeadLetterWatcher],
    providers: [Probe, { provide: CONSUMER_SETTINGS, useValue: { concurrency: options.concurrency ?? CONCURRENCY } }],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  const probe = app.get(Probe);
  if (options.behaviour) probe.behaviour = options.behaviour;
  await startEventConsumers(app);
  await app.init();
  return { app, probe };
}

/**
 * Puts events on the topic in this order before any consumer runs, so that the first fetch holds
 * them all (kafkajs fetches again only once every batch of a fetch is done).
 */
async function produce(events: LlmCall[]): Promise<void> {
  const producer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic: TOPICS.llmCall, messages: events.map((event) => ({ key: event.tenantId, value: JSON.stringify(event) })) });
  } finally {
    await producer.disconnect();
  }
}

beforeEach(async () => {
  broker = await KafkaTestBroker.start({ partitions: 3, log: () => undefined });
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await broker.stop();
});

describe('KafkaEventServer with concurrency', () => {
  it('has up to N messages in deliver() at once, never more', async () => {
    await produce(Array.from({ length: 40 }, (_, i) => llmCallEvent({ tenantId: `t_${i}`, requestId: `req_${i}` })));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { probe } = await startApp({ behaviour: () => gate });

    await expectEventually(() => expect(probe.inFlight).toBe(CONCURRENCY));
    release();
    await expectEventually(() => expect(probe.handled).toHaveLength(40));

    expect(probe.maxInFlight).toBe(CONCURRENCY);
  });

  it("keeps each key's order over 500 messages on 20 keys with random handler delays", async () => {
    await produce(Array.from({ length: 500 }, (_, i) => llmCallEvent({ tenantId: `t_${i % 20}`, requestId: `req_${i}` })));
    const { probe } = await startApp({ behaviour: () => delay(Math.floor(Math.random() * 4)) });

    await expectEventually(() => expect(probe.handled).toHaveLength(500), { timeoutMs: 30_000 });

    // The order to keep is the order the broker stored each key's messages in (one partition per key).
    const stored = new Map<string, string[]>();
    for (const record of broker.topicMessages(TOPICS.llmCall)) {
      const event = JSON.parse(String(record.value)) as LlmCall;
      stored.set(event.tenantId, [...(stored.get(event.tenantId) ?? []), event.requestId]);
    }
    expect(stored.size).toBe(20);
    for (const [tenant, expected] of stored) {
      expect(probe.handled.filter((h) => h.event.tenantId === tenant).map((h) => h.event.requestId)).toEqual(expected);
    }
    expect(probe.maxInFlight).toBeGreaterThan(1);
    expect(probe.maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
  });

  it('retries and dead-letters a failing message while other keys go on, and then handles the next message of its key', async () => {
    // Retries 150 ms then 300 ms apart: the failing message is in flight for ~0.4 s or more.
    const bad = llmCallEvent({ tenantId: 't_bad', requestId: 'req_bad' });
    const next = llmCallEvent({ tenantId: 't_bad', requestId: 'req_bad_next' });
    const others = Array.from({ length: 30 }, (_, i) => llmCallEvent({ tenantId: `t_${i % 10}`, requestId: `req_${i}` }));
    await produce([bad, next, ...others]);
    let othersHandledWhenDeadLettered = -1;
    const { probe } = await startApp({
      retry: { attempts: 3, initialDelayMs: 200, maxDelayMs: 400 },
      behaviour: (event, ctx) => {
        if (event.requestId !== 'req_bad') return;
        if (ctx.attempt === 3) othersHandledWhenDeadLettered = probe.handled.length;
        throw new Error('price catalog unavailable');
      },
    });
    await expectEventually(() => expect(probe.letters).toHaveLength(1), { timeoutMs: 20_000 });
    await expectEventually(() => expect(probe.handled).toHaveLength(31));

    expect(probe.attempts.filter((a) => a.requestId === 'req_bad').map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(probe.letters[0]).toMatchObject({ reason: 'handler_failed', consumerGroup: GROUP, attempts: 3, originalKey: 't_bad' });
    // The 30 messages of other tenants did not wait for the failing one.
    expect(othersHandledWhenDeadLettered).toBe(30);
    // Its tenant's next message waited for it: handled last.
    expect(probe.requestIds().at(-1)).toBe('req_bad_next');
  });

  it('never commits past an unfinished message: a consumer stuck on one is replaced, and the message is redelivered', async () => {
    await broker.stop();
    broker = await KafkaTestBroker.start({ partitions: 1, log: () => undefined });
    // Short group timings, so that a consumer stuck in a batch is dropped from the group quickly.
    const tuning = { sessionTimeoutMs: 3_000, rebalanceTimeoutMs: 1_500, heartbeatIntervalMs: 100 };
    await produce(Array.from({ length: 16 }, (_, i) => llmCallEvent({ tenantId: `t_${i}`, requestId: `req_${i}` })));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = await startApp({ tuning, behaviour: (event) => (event.requestId === 'req_5' ? gate : undefined) });

    // Everything but req_5 (offset 5) is handled, req_5 is still in flight...
    await expectEventually(() => expect(first.probe.handled).toHaveLength(15));
    expect(first.probe.requestIds()).not.toContain('req_5');
    // ...and the group's committed offset stops at req_5, however many messages after it are done.
    const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const committed = async () => (await admin.fetchOffsets({ groupId: `tollgate.${GROUP}`, topics: [TOPICS.llmCall] }))[0].partitions[0].offset;
      await expectEventually(async () => expect(await committed()).toBe('5'));
      expect(await committed()).toBe('5');

      // A second consumer joins; the first, stuck on req_5, cannot re-join in time and is dropped:
      // the second resumes from the committed offset, so req_5 comes again.
      const second = await startApp({ tuning });
      await expectEventually(() => expect(second.probe.requestIds()).toContain('req_5'), { timeoutMs: 20_000 });
      expect(second.probe.requestIds()[0]).toBe('req_5');
      expect(second.probe.requestIds()).not.toContain('req_4');
    } finally {
      release();
      await admin.disconnect();
    }
  });
});

describe("KafkaEventServer with concurrency and ordering 'none'", () => {
  it("overlaps one key's messages, still at most N at once, and handles each once", async () => {
    await produce(Array.from({ length: 200 }, (_, i) => llmCallEvent({ tenantId: `t_${i % 2}`, requestId: `req_${i}` })));
    const { probe } = await startApp({ consumer: UnorderedConsumer, behaviour: () => delay(1 + Math.floor(Math.random() * 4)) });

    await expectEventually(() => expect(probe.handled).toHaveLength(200), { timeoutMs: 30_000 });

    expect(new Set(probe.requestIds()).size).toBe(200);
    // Two keys only: with per-key ordering at most 2 would be in flight, one per key.
    expect(probe.maxInFlightOfOneKey).toBeGreaterThan(1);
    expect(probe.maxInFlight).toBeGreaterThan(2);
    expect(probe.maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
  });

  it('has up to N messages of one key in deliver() at once, never more', async () => {
    await produce(Array.from({ length: 40 }, (_, i) => llmCallEvent({ tenantId: 't_same', requestId: `req_${i}` })));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { probe } = await startApp({ consumer: UnorderedConsumer, behaviour: () => gate });

    await expectEventually(() => expect(probe.inFlight).toBe(CONCURRENCY));
    await delay(200);
    expect(probe.inFlight).toBe(CONCURRENCY);
    release();
    await expectEventually(() => expect(probe.handled).toHaveLength(40));

    expect(probe.maxInFlight).toBe(CONCURRENCY);
    expect(probe.maxInFlightOfOneKey).toBe(CONCURRENCY);
  });

  it('never commits past an unfinished message, though later messages of its key are done', async () => {
    await broker.stop();
    broker = await KafkaTestBroker.start({ partitions: 1, log: () => undefined });
    const tuning = { sessionTimeoutMs: 3_000, rebalanceTimeoutMs: 1_500, heartbeatIntervalMs: 100 };
    // One key: with per-key ordering nothing after req_5 could have started.
    await produce(Array.from({ length: 16 }, (_, i) => llmCallEvent({ tenantId: 't_same', requestId: `req_${i}` })));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = await startApp({ tuning, consumer: UnorderedConsumer, behaviour: (event) => (event.requestId === 'req_5' ? gate : undefined) });

    await expectEventually(() => expect(first.probe.handled).toHaveLength(15));
    expect(first.probe.requestIds()).not.toContain('req_5');
    const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const committed = async () => (await admin.fetchOffsets({ groupId: `tollgate.${UNORDERED_GROUP}`, topics: [TOPICS.llmCall] }))[0].partitions[0].offset;
      await expectEventually(async () => expect(await committed()).toBe('5'));
      // A few commit intervals later it has still not passed req_5.
      await delay(1_500);
      expect(await committed()).toBe('5');

      // A replacement consumer resumes at req_5: it comes again (and what followed it, at least once).
      const second = await startApp({ tuning, consumer: UnorderedConsumer });
      await expectEventually(() => expect(second.probe.requestIds()).toContain('req_5'), { timeoutMs: 20_000 });
      expect(second.probe.requestIds()).not.toContain('req_4');
    } finally {
      release();
      await admin.disconnect();
    }
  });
});
