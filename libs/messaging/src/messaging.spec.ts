import { setImmediate as nextTurn } from 'node:timers/promises';
import { Controller, Injectable } from '@nestjs/common';
import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DeadLetterV1, EventValidationError, GovernanceApiKeySnapshotV1, LlmCallV1, TOPICS } from '@tollgate/contracts';
import type { EventOf } from '@tollgate/contracts';
import { ConsumeEvent, EVENT_PUBLISHER, HEADER_EVENT_TYPE, HEADER_EVENT_VERSION, InProcessBroker, MessagingModule, concurrencyFrom, startEventConsumers } from './index';
import type { EventContext, EventPublisher } from './index';
import { llmCallEvent, tenantWithKey } from '@tollgate/testing';
import { expectEventually } from '@tollgate/testing';

type LlmCall = EventOf<typeof LlmCallV1>;
type Snapshot = EventOf<typeof GovernanceApiKeySnapshotV1>;

interface Delivery {
  group: string;
  event: unknown;
  ctx: EventContext;
}

/** What the test controllers saw, and how each group's handler should behave. */
@Injectable()
class Probe {
  readonly deliveries: Delivery[] = [];
  readonly behaviour = new Map<string, (event: unknown, ctx: EventContext) => Promise<void> | void>();

  async handle(group: string, event: unknown, ctx: EventContext): Promise<void> {
    this.deliveries.push({ group, event, ctx });
    await this.behaviour.get(group)?.(event, ctx);
  }

  of(group: string): Delivery[] {
    return this.deliveries.filter((d) => d.group === group);
  }
}

@Controller()
class CostLedgerConsumer {
  constructor(private readonly probe: Probe) {}

  @ConsumeEvent(LlmCallV1, { group: 'cost-ledger' })
  async onLlmCall(event: LlmCall, ctx: EventContext): Promise<void> {
    await this.probe.handle('cost-ledger', event, ctx);
  }
}

@Controller()
class SimilarityConsumer {
  constructor(private readonly probe: Probe) {}

  @ConsumeEvent(LlmCallV1, { group: 'similarity' })
  onLlmCall(event: LlmCall, ctx: EventContext): Promise<void> {
    return this.probe.handle('similarity', event, ctx);
  }
}

@Controller()
class ApiKeyDirectoryConsumer {
  constructor(private readonly probe: Probe) {}

  @ConsumeEvent(GovernanceApiKeySnapshotV1, { group: 'apikey-directory' })
  apply(snapshot: Snapshot, ctx: EventContext): Promise<void> {
    return this.probe.handle('apikey-directory', snapshot, ctx);
  }
}

@Controller()
class DeadLetterWatcher {
  constructor(private readonly probe: Probe) {}

  @ConsumeEvent(DeadLetterV1, { group: 'dlq-watch' })
  onDeadLetter(letter: EventOf<typeof DeadLetterV1>, ctx: EventContext): Promise<void> {
    return this.probe.handle('dlq-watch', letter, ctx);
  }
}

const SIMILARITY_SETTINGS = Symbol('SIMILARITY_SETTINGS');

/** Takes its concurrency from a provider, as a service takes it from its validated config. */
@Controller()
class ConcurrentSimilarityConsumer {
  constructor(private readonly probe: Probe) {}

  @ConsumeEvent(LlmCallV1, { group: 'similarity', concurrency: concurrencyFrom(SIMILARITY_SETTINGS, (settings: { concurrency: number }) => settings.concurrency) })
  onLlmCall(event: LlmCall, ctx: EventContext): Promise<void> {
    return this.probe.handle('similarity', event, ctx);
  }
}

interface Harness {
  app: INestApplication;
  probe: Probe;
  publisher: EventPublisher;
  broker: InProcessBroker;
}

const apps: INestApplication[] = [];

/** Builds the app; `beforeStart` runs after compile and before consumers are started. */
async function startApp(controllers: Type[], beforeStart?: (h: Harness) => Promise<void>, retry = { attempts: 3, initialDelayMs: 1, maxDelayMs: 5 }): Promise<Harness> {
  const moduleRef = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ transport: { kind: 'in-process' }, retry })],
    controllers,
    providers: [Probe, { provide: SIMILARITY_SETTINGS, useValue: { concurrency: 4 } }],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  const harness: Harness = { app, probe: app.get(Probe), publisher: app.get<EventPublisher>(EVENT_PUBLISHER), broker: app.get(InProcessBroker) };
  await beforeStart?.(harness);
  await startEventConsumers(app);
  await app.init();
  return harness;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('in-process messaging through Nest', () => {
  it('delivers one event to every group, with its context, after publish() has resolved', async () => {
    const { probe, publisher } = await startApp([CostLedgerConsumer, SimilarityConsumer]);
    const event = llmCallEvent({ tenantId: 't_42' });

    await publisher.publish(LlmCallV1, event);
    // publish() only enqueues: no handler has run on the publisher's turn.
    expect(probe.deliveries).toHaveLength(0);

    await expectEventually(() => {
      expect(probe.of('cost-ledger')).toHaveLength(1);
      expect(probe.of('similarity')).toHaveLength(1);
    });
    for (const group of ['cost-ledger', 'similarity']) {
      const [delivery] = probe.of(group);
      expect(delivery.event).toEqual(event);
      expect(delivery.ctx).toMatchObject({ topic: TOPICS.llmCall, key: 't_42', group, attempt: 1 });
      expect(delivery.ctx.headers).toMatchObject({ [HEADER_EVENT_TYPE]: 'llm.call', [HEADER_EVENT_VERSION]: '1' });
    }
  });

  it('gives each group its own copy of the event, so a handler cannot change what another sees', async () => {
    const { probe, publisher, broker } = await startApp([CostLedgerConsumer, SimilarityConsumer]);
    probe.behaviour.set('cost-ledger', (event) => {
      (event as LlmCall).requestId = 'mutated';
    });
    const event = llmCallEvent({ requestId: 'req_1' });

    await publisher.publish(LlmCallV1, event);
    await broker.whenIdle();

    expect(event.requestId).toBe('req_1');
    expect((probe.of('similarity')[0].event as LlmCall).requestId).toBe('req_1');
  });

  it('keeps the order of each tenant\'s events over 200 events', async () => {
    const { probe, publisher } = await startApp([CostLedgerConsumer, SimilarityConsumer]);
    // Handlers that take varying time: ordering must not depend on them being fast.
    probe.behaviour.set('cost-ledger', async (_event) => {
      if (Math.random() < 0.3) await nextTurn();
    });
    const tenants = ['t_a', 't_b', 't_c', 't_d'];

    await Promise.all(Array.from({ length: 200 }, (_, i) => publisher.publish(LlmCallV1, llmCallEvent({ tenantId: tenants[i % 4], requestId: `req_${i}` }))));

    await expectEventually(() => expect(probe.deliveries).toHaveLength(400));
    for (const group of ['cost-ledger', 'similarity']) {
      for (const tenant of tenants) {
        const sequence = probe
          .of(group)
          .map((d) => d.event as LlmCall)
          .filter((e) => e.tenantId === tenant)
          .map((e) => Number(e.requestId.slice(4)));
        expect(sequence).toHaveLength(50);
        expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
      }
    }
  });

  it('replays the latest snapshot per tenant of a compacted topic to a group that subscribes later', async () => {
    const { probe, broker } = await startApp([ApiKeyDirectoryConsumer, CostLedgerConsumer], async ({ publisher }) => {
      await publisher.publish(GovernanceApiKeySnapshotV1, tenantWithKey('t_1', { name: 'Acme v1' }).snapshot);
      await publisher.publish(GovernanceApiKeySnapshotV1, tenantWithKey('t_2', { name: 'Globex v1' }).snapshot);
      await publisher.publish(GovernanceApiKeySnapshotV1, tenantWithKey('t_1', { name: 'Acme v2' }).snapshot);
      // Not compacted: nothing is kept for groups that do not exist yet.
      await publisher.publish(LlmCallV1, llmCallEvent());
    });

    await expectEventually(() => expect(probe.of('apikey-directory')).toHaveLength(2));
    await broker.whenIdle();
    expect(probe.of('apikey-directory').map((d) => [(d.event as Snapshot).tenantId, (d.event as Snapshot).tenant.name])).toEqual([
      ['t_2', 'Globex v1'],
      ['t_1', 'Acme v2'],
    ]);
    expect(probe.of('cost-ledger')).toHaveLength(0);
  });

  it('dead-letters an invalid message with its issues and bytes, and still handles the next one', async () => {
    const { probe, publisher, broker } = await startApp([CostLedgerConsumer, DeadLetterWatcher]);
    const bad = { ...llmCallEvent({ tenantId: 't_9' }), usage: { ...llmCallEvent().usage, inputTokens: -1 } };
    const badBytes = Buffer.from(JSON.stringify(bad));
    const next = llmCallEvent({ tenantId: 't_9' });

    // The publisher refuses invalid events, so the bad one is put on the bus directly, as a foreign producer would.
    broker.publish({ topic: TOPICS.llmCall, key: 't_9', value: badBytes, headers: { origin: 'elsewhere' } });
    await publisher.publish(LlmCallV1, next);

    await expectEventually(() => {
      expect(probe.of('dlq-watch')).toHaveLength(1);
      expect(probe.of('cost-ledger')).toHaveLength(1);
    });
    expect(probe.of('cost-ledger')[0].event).toEqual(next);
    expect(probe.of('dlq-watch')[0].event).toMatchObject({
      type: 'dead-letter',
      tenantId: 't_9',
      sourceTopic: TOPICS.llmCall,
      consumerGroup: 'cost-ledger',
      reason: 'invalid',
      detail: expect.stringContaining('usage.inputTokens: must not be negative'),
      attempts: 0,
      originalKey: 't_9',
      originalValueBase64: badBytes.toString('base64'),
      originalHeaders: { origin: 'elsewhere' },
    });
  });

  it('dead-letters a message that is not JSON', async () => {
    const { probe, broker } = await startApp([CostLedgerConsumer, DeadLetterWatcher]);

    broker.publish({ topic: TOPICS.llmCall, key: null, value: Buffer.from('{not json'), headers: {} });

    await expectEventually(() => expect(probe.of('dlq-watch')).toHaveLength(1));
    expect(probe.of('dlq-watch')[0].event).toMatchObject({ reason: 'invalid', tenantId: 'unknown', originalKey: null, detail: expect.stringContaining('not JSON') });
    expect(probe.of('cost-ledger')).toHaveLength(0);
  });

  it('retries a handler that fails twice, without dead-lettering it', async () => {
    const { probe, publisher, broker } = await startApp([CostLedgerConsumer, DeadLetterWatcher]);
    probe.behaviour.set('cost-ledger', (_event, ctx) => {
      if (ctx.attempt < 3) throw new Error(`database unavailable (attempt ${ctx.attempt})`);
    });

    await publisher.publish(LlmCallV1, llmCallEvent());
    await expectEventually(() => expect(probe.of('cost-ledger')).toHaveLength(3));
    await broker.whenIdle();

    expect(probe.of('cost-ledger').map((d) => d.ctx.attempt)).toEqual([1, 2, 3]);
    expect(probe.of('dlq-watch')).toHaveLength(0);
  });

  it('dead-letters after N attempts a handler that always fails, while another group handled the event once', async () => {
    const { probe, publisher, broker } = await startApp([CostLedgerConsumer, SimilarityConsumer, DeadLetterWatcher]);
    probe.behaviour.set('cost-ledger', () => {
      throw new Error('price catalog has no entry for mock/echo');
    });
    const event = llmCallEvent({ tenantId: 't_7' });

    await publisher.publish(LlmCallV1, event);
    await expectEventually(() => expect(probe.of('dlq-watch')).toHaveLength(1));
    await broker.whenIdle();

    expect(probe.of('cost-ledger')).toHaveLength(3);
    expect(probe.of('similarity')).toHaveLength(1);
    const letter = probe.of('dlq-watch')[0].event as EventOf<typeof DeadLetterV1>;
    expect(letter).toMatchObject({ reason: 'handler_failed', consumerGroup: 'cost-ledger', attempts: 3, detail: 'price catalog has no entry for mock/echo', originalKey: 't_7' });
    expect(JSON.parse(Buffer.from(letter.originalValueBase64, 'base64').toString('utf8'))).toEqual(event);
  });

  it('rejects an invalid event in publish() and sends nothing', async () => {
    const { probe, publisher, broker } = await startApp([CostLedgerConsumer, DeadLetterWatcher]);
    const invalid = llmCallEvent({ tenantId: '' });

    await expect(publisher.publish(LlmCallV1, invalid)).rejects.toBeInstanceOf(EventValidationError);
    await publisher.publish(LlmCallV1, llmCallEvent());
    await broker.whenIdle();

    expect(probe.deliveries.map((d) => d.group)).toEqual(['cost-ledger']);
  });

  it('sends an event unchecked with validate: false, and the consumer dead-letters it if it is invalid', async () => {
    const { probe, publisher } = await startApp([CostLedgerConsumer, DeadLetterWatcher]);
    const bad = { ...llmCallEvent({ tenantId: 't_8' }), usage: { ...llmCallEvent().usage, outputTokens: -5 } };

    await publisher.publish(LlmCallV1, bad, { validate: false });

    await expectEventually(() => expect(probe.of('dlq-watch')).toHaveLength(1));
    expect(probe.of('cost-ledger')).toHaveLength(0);
    expect(probe.of('dlq-watch')[0].event).toMatchObject({ reason: 'invalid', consumerGroup: 'cost-ledger', tenantId: 't_8', detail: expect.stringContaining('usage.outputTokens') });
  });

  it('lets app.close() wait for a slow handler in flight', async () => {
    const { app, probe, publisher } = await startApp([CostLedgerConsumer]);
    let finished = false;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    probe.behaviour.set('cost-ledger', async () => {
      await gate;
      finished = true;
    });

    await publisher.publish(LlmCallV1, llmCallEvent());
    await expectEventually(() => expect(probe.of('cost-ledger')).toHaveLength(1));
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    for (let i = 0; i < 20; i += 1) await nextTurn();
    expect(closed).toBe(false); // still waiting for the handler
    release();
    await closing;

    expect(finished).toBe(true);
    await expect(publisher.publish(LlmCallV1, llmCallEvent())).rejects.toThrow('closed');
  });

  it('refuses two handlers of one topic in one group', async () => {
    @Controller()
    class SecondCostLedgerConsumer {
      @ConsumeEvent(LlmCallV1, { group: 'cost-ledger' })
      onLlmCall(): void {}
    }
    await expect(startApp([CostLedgerConsumer, SecondCostLedgerConsumer])).rejects.toThrow('share the group "cost-ledger"');
  });

  it("reads a consumer's concurrency from a provider, and dead-letters a failing message while other tenants' go on", async () => {
    let othersHandledAtLastAttempt = -1;
    let maxInFlight = 0;
    const { probe, publisher, broker } = await startApp(
      [ConcurrentSimilarityConsumer, DeadLetterWatcher],
      async ({ probe }) => {
        let inFlight = 0;
        probe.behaviour.set('similarity', async (event, ctx) => {
          inFlight += 1;
          try {
            if ((event as LlmCall).requestId !== 'req_bad') return await nextTurn();
            if (ctx.attempt === 3) othersHandledAtLastAttempt = probe.of('similarity').filter((d) => (d.event as LlmCall).requestId !== 'req_bad').length;
            throw new Error('similarity index unavailable');
          } finally {
            maxInFlight = Math.max(maxInFlight, inFlight);
            inFlight -= 1;
          }
        });
      },
      { attempts: 3, initialDelayMs: 100, maxDelayMs: 200 },
    );

    await publisher.publish(LlmCallV1, llmCallEvent({ tenantId: 't_bad', requestId: 'req_bad' }));
    await publisher.publish(LlmCallV1, llmCallEvent({ tenantId: 't_bad', requestId: 'req_bad_next' }));
    for (let i = 0; i < 20; i += 1) await publisher.publish(LlmCallV1, llmCallEvent({ tenantId: `t_${i % 5}`, requestId: `req_${i}` }));
    await expectEventually(() => expect(probe.of('dlq-watch')).toHaveLength(1));
    await broker.whenIdle();

    expect(probe.of('dlq-watch')[0].event).toMatchObject({ reason: 'handler_failed', consumerGroup: 'similarity', attempts: 3 });
    // The other tenants' 20 messages were handled while the failing one was being retried...
    expect(othersHandledAtLastAttempt).toBe(20);
    // ...its tenant's next one waited for it, and no more than the provided 4 ran at once.
    expect((probe.of('similarity').at(-1)?.event as LlmCall).requestId).toBe('req_bad_next');
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(4);
  });

  it("runs one tenant's messages side by side with ordering 'none', at most `concurrency` at once", async () => {
    @Controller()
    class UnorderedConsumer {
      constructor(private readonly probe: Probe) {}

      @ConsumeEvent(LlmCallV1, { group: 'unordered', concurrency: 4, ordering: 'none' })
      onLlmCall(event: LlmCall, ctx: EventContext): Promise<void> {
        return this.probe.handle('unordered', event, ctx);
      }
    }
    let inFlight = 0;
    let maxInFlight = 0;
    const { probe, publisher, broker } = await startApp([UnorderedConsumer], async ({ probe }) => {
      probe.behaviour.set('unordered', async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          await nextTurn();
          await nextTurn();
        } finally {
          inFlight -= 1;
        }
      });
    });

    for (let i = 0; i < 20; i += 1) await publisher.publish(LlmCallV1, llmCallEvent({ tenantId: 't_one', requestId: `req_${i}` }));
    await broker.whenIdle();

    expect(probe.of('unordered')).toHaveLength(20);
    expect(maxInFlight).toBe(4);
  });

  it('refuses an ordering other than key or none', () => {
    expect(() => ConsumeEvent(LlmCallV1, { group: 'x', ordering: 'tenant' as 'key' })).toThrow("@ConsumeEvent(tollgate.llm.call.v1, group x): ordering must be 'key' or 'none' (got tenant)");
  });
});
