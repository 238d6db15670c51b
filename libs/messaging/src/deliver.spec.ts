import type { LoggerService } from '@nestjs/common';
import { DeadLetterV1, LlmCallV1, TOPICS } from '@tollgate/contracts';
import type { EventContract, EventOf } from '@tollgate/contracts';
import { buildDeadLetter, deliver, retryDelayMs } from './deliver';
import type { DeliveryRuntime, InboundMessage } from './deliver';
import type { EventContext } from './event-context';
import type { EventPublisher } from './event-publisher';
import type { EventRoute } from './event-routes';
import { DEFAULT_RETRY, resolveRetryPolicy } from './messaging.options';
import { llmCallEvent } from '@tollgate/testing';

class RecordingPublisher implements Pick<EventPublisher, 'publish'> {
  readonly published: Array<{ topic: string; event: unknown }> = [];
  failWith: Error | undefined;

  publish<C extends EventContract>(contract: C, event: EventOf<C>): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.published.push({ topic: contract.topic, event });
    return Promise.resolve();
  }
}

function silentLogger(): LoggerService & { errors: string[] } {
  const errors: string[] = [];
  return { errors, log: () => undefined, warn: () => undefined, error: (message: unknown) => void errors.push(String(message)) };
}

function runtimeWith(publisher: Pick<EventPublisher, 'publish'>, logger = silentLogger()): DeliveryRuntime {
  return { system: 'kafka', publisher, retry: { attempts: 3, initialDelayMs: 0, maxDelayMs: 0 }, logger };
}

function route(invoke: (event: unknown, ctx: EventContext) => Promise<void>, topic: string = TOPICS.llmCall): EventRoute {
  return { topic, group: 'cost-ledger', concurrency: 1, invoke };
}

function messageOf(value: unknown, topic: string = TOPICS.llmCall): InboundMessage {
  return { topic, key: 't_1', value: Buffer.from(JSON.stringify(value)), headers: { 'tollgate-event-type': 'llm.call' } };
}

describe('deliver', () => {
  it('hands the validated event to the handler once when it succeeds', async () => {
    const publisher = new RecordingPublisher();
    const seen: unknown[] = [];
    const event = llmCallEvent();

    const outcome = await deliver(messageOf(event), route(async (e) => void seen.push(e)), runtimeWith(publisher));

    expect(outcome).toBe('handled');
    expect(seen).toEqual([event]);
    expect(publisher.published).toHaveLength(0);
  });

  it('dead-letters a message of a topic without a contract', async () => {
    const publisher = new RecordingPublisher();
    const invoke = jest.fn(async () => undefined);

    const outcome = await deliver(messageOf({}, 'tollgate.unknown.v1'), route(invoke, 'tollgate.unknown.v1'), runtimeWith(publisher));

    expect(outcome).toBe('dead-lettered:invalid');
    expect(invoke).not.toHaveBeenCalled();
    expect(publisher.published[0]).toMatchObject({ topic: TOPICS.deadLetter, event: { reason: 'invalid', detail: expect.stringContaining('no event contract') } });
  });

  it('retries with increasing attempt numbers, then dead-letters with the last error and logs it', async () => {
    const publisher = new RecordingPublisher();
    const logger = silentLogger();
    const attempts: number[] = [];
    const beforeRetry = jest.fn(async () => undefined);

    const outcome = await deliver(
      messageOf(llmCallEvent()),
      route(async (_e, ctx) => {
        attempts.push(ctx.attempt);
        throw new Error(`failure ${ctx.attempt}`);
      }),
      runtimeWith(publisher, logger),
      { beforeRetry },
    );

    expect(outcome).toBe('dead-lettered:handler_failed');
    expect(attempts).toEqual([1, 2, 3]);
    expect(beforeRetry).toHaveBeenCalledTimes(2);
    expect(publisher.published[0].event).toMatchObject({ reason: 'handler_failed', detail: 'failure 3', attempts: 3, consumerGroup: 'cost-ledger' });
    expect(logger.errors).toEqual([expect.stringContaining('dead-lettered tollgate.llm.call.v1')]);
  });

  it('rejects when the dead letter cannot be published, so the transport does not move past the message', async () => {
    const publisher = new RecordingPublisher();
    publisher.failWith = new Error('broker unavailable');

    await expect(deliver(messageOf({ not: 'an event' }), route(async () => undefined), runtimeWith(publisher))).rejects.toThrow('broker unavailable');
  });

  it('does not dead-letter messages of the dead-letter topic itself, but logs them', async () => {
    const publisher = new RecordingPublisher();
    const logger = silentLogger();

    const outcome = await deliver(messageOf({ broken: true }, TOPICS.deadLetter), route(async () => undefined, TOPICS.deadLetter), runtimeWith(publisher, logger));

    expect(outcome).toBe('dropped:dead-letter-topic');
    expect(publisher.published).toHaveLength(0);
    expect(logger.errors[0]).toContain('dropping tollgate.dlq.v1 message');
  });
});

describe('buildDeadLetter', () => {
  it('builds a valid DeadLetterV1 even for a key that is not a tenant id and an oversized detail', () => {
    const message: InboundMessage = { topic: TOPICS.llmCall, key: 'k'.repeat(500), value: null, headers: {} };

    const letter = buildDeadLetter(message, 'similarity', { reason: 'handler_failed', detail: 'x'.repeat(20_000), attempts: 3 });

    expect(DeadLetterV1.schema.safeParse(letter).success).toBe(true);
    expect(letter.tenantId).toBe('unknown');
    expect(letter.originalKey).toBe(message.key);
    expect(letter.detail).toHaveLength(8000);
  });
});

describe('retry policy', () => {
  it('backs off exponentially with jitter, within the cap', () => {
    const policy = { attempts: 5, initialDelayMs: 100, maxDelayMs: 300 };
    expect(retryDelayMs(policy, 1, () => 0)).toBe(50);
    expect(retryDelayMs(policy, 1, () => 1)).toBe(100);
    expect(retryDelayMs(policy, 2, () => 1)).toBe(200);
    expect(retryDelayMs(policy, 4, () => 1)).toBe(300);
    expect(retryDelayMs(policy, 4, () => 0)).toBe(150);
  });

  it('defaults to 3 attempts from 50 ms up to 2 s and rejects nonsense', () => {
    expect(resolveRetryPolicy()).toEqual(DEFAULT_RETRY);
    expect(DEFAULT_RETRY).toEqual({ attempts: 3, initialDelayMs: 50, maxDelayMs: 2000 });
    expect(() => resolveRetryPolicy({ attempts: 0 })).toThrow('retry.attempts');
    expect(() => resolveRetryPolicy({ initialDelayMs: 500, maxDelayMs: 100 })).toThrow('retry.maxDelayMs');
  });
});

describe('LlmCallV1 fixture', () => {
  it('is valid', () => {
    expect(LlmCallV1.schema.safeParse(llmCallEvent()).success).toBe(true);
  });
});
