import { setTimeout as sleep } from 'node:timers/promises';
import type { LoggerService } from '@nestjs/common';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { DeadLetterV1, TOPICS, TenantIdSchema, contractForTopic, validateEvent, newUlid } from '@tollgate/contracts';
import { EventRpcContext } from './event-context';
import type { EventPublisher } from './event-publisher';
import type { EventRoute } from './event-routes';
import type { RetryPolicy } from './messaging.options';
import { ATTR_MESSAGING_CONSUMER_GROUP_NAME, ATTR_MESSAGING_DESTINATION_NAME, ATTR_MESSAGING_MESSAGE_ID, ATTR_MESSAGING_OPERATION_TYPE, ATTR_MESSAGING_SYSTEM, ATTR_TOLLGATE_DELIVERY_ATTEMPTS, ATTR_TOLLGATE_DELIVERY_OUTCOME } from '@tollgate/telemetry';
import { TRACER_NAME } from './messaging.constants';
import type { MessagingSystem } from '@tollgate/telemetry';

/** A message as a transport received it, before anything is trusted. */
export interface InboundMessage {
  topic: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface DeliveryRuntime {
  system: MessagingSystem;
  /** Where dead letters go (publish()): the same publisher the application uses. */
  publisher: Pick<EventPublisher, 'publish'>;
  retry: RetryPolicy;
  logger: LoggerService;
}

export interface DeliveryHooks {
  /** Runs before each retry (Kafka: heartbeat, so a slow retry does not cost the partition). */
  beforeRetry?: () => Promise<void>;
}

export type DeliveryOutcome = 'handled' | 'dead-lettered:invalid' | 'dead-lettered:handler_failed' | 'dropped:dead-letter-topic';

/** The largest `detail` DeadLetterV1 accepts. */
const MAX_DETAIL = 8000;

/** Delay before retry number `failedAttempts` (1 = the first retry): exponential, capped, with equal jitter. */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (failedAttempts - 1));
  // Half fixed, half random: keeps a floor while spreading retries of many consumers apart.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

type Decoded = { ok: true; event: { id: string } } | { ok: false; issues: string[]; id: string | undefined };

/** Parses and validates against the topic's contract: the same checks whichever transport delivered it. */
export function decodeMessage(message: InboundMessage): Decoded {
  const contract = contractForTopic(message.topic);
  if (!contract) return { ok: false, issues: [`(root): no event contract for topic ${message.topic}`], id: undefined };
  if (message.value === null) return { ok: false, issues: ['(root): empty message (no value)'], id: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.value.toString('utf8'));
  } catch (error) {
    return { ok: false, issues: [`(root): not JSON: ${error instanceof Error ? error.message : String(error)}`], id: undefined };
  }
  const result = validateEvent(contract, parsed);
  if (result.ok) return { ok: true, event: result.value as { id: string } };
  const id = typeof parsed === 'object' && parsed !== null && typeof (parsed as { id?: unknown }).id === 'string' ? (parsed as { id: string }).id : undefined;
  return { ok: false, issues: result.issues, id };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Delivers one message to one group's handler, the same way for both transports:
 * validate → run the handler in a `process {topic}` span (parent: the publisher's trace context)
 * → retry with backoff → dead-letter. Resolves once the message is done with (handled or
 * dead-lettered). Rejects only when dead-lettering itself failed, so that Kafka does not commit
 * the offset and the message comes back instead of being lost.
 */
export async function deliver(message: InboundMessage, route: EventRoute, runtime: DeliveryRuntime, hooks: DeliveryHooks = {}): Promise<DeliveryOutcome> {
  const parent = propagation.extract(ROOT_CONTEXT, message.headers);
  const span = trace.getTracer(TRACER_NAME).startSpan(
    `process ${message.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [ATTR_MESSAGING_SYSTEM]: runtime.system,
        [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
        [ATTR_MESSAGING_DESTINATION_NAME]: message.topic,
        [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: route.group,
      },
    },
    parent,
  );
  try {
    const outcome = await context.with(trace.setSpan(parent, span), () => deliverInSpan(message, route, runtime, hooks, span));
    span.setAttribute(ATTR_TOLLGATE_DELIVERY_OUTCOME, outcome);
    if (outcome !== 'handled') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    return outcome;
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: `dead-lettering failed: ${errorMessage(error)}` });
    throw error;
  } finally {
    span.end();
  }
}

async function deliverInSpan(message: InboundMessage, route: EventRoute, runtime: DeliveryRuntime, hooks: DeliveryHooks, span: Span): Promise<DeliveryOutcome> {
  const decoded = decodeMessage(message);
  if (!decoded.ok) {
    if (decoded.id) span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, decoded.id);
    return deadLetter(message, route, runtime, { reason: 'invalid', detail: decoded.issues.join('; '), attempts: 0, eventId: decoded.id });
  }
  span.setAttribute(ATTR_MESSAGING_MESSAGE_ID, decoded.event.id);
  let lastError: unknown;
  for (let attempt = 1; attempt <= runtime.retry.attempts; attempt += 1) {
    span.setAttribute(ATTR_TOLLGATE_DELIVERY_ATTEMPTS, attempt);
    const ctx = new EventRpcContext({ topic: message.topic, key: message.key, headers: { ...message.headers }, group: route.group, attempt });
    try {
      await route.invoke(decoded.event, ctx);
      return 'handled';
    } catch (error) {
      lastError = error;
      span.recordException(error instanceof Error ? error : String(error));
      if (attempt < runtime.retry.attempts) {
        await sleep(retryDelayMs(runtime.retry, attempt));
        await hooks.beforeRetry?.();
      }
    }
  }
  return deadLetter(message, route, runtime, {
    reason: 'handler_failed',
    detail: errorMessage(lastError),
    attempts: runtime.retry.attempts,
    eventId: decoded.event.id,
  });
}

interface DeadLetterCause {
  reason: 'invalid' | 'handler_failed';
  detail: string;
  attempts: number;
  eventId: string | undefined;
}

/** The DLQ event for a message: its bytes verbatim (base64), key and headers, and why. */
export function buildDeadLetter(message: InboundMessage, group: string, cause: Omit<DeadLetterCause, 'eventId'>, now: Date = new Date()): DeadLetterV1 {
  return {
    id: newUlid(),
    type: 'dead-letter',
    version: 1,
    occurredAt: now.toISOString(),
    // Keyed like the original so it lands on the same tenant's partition; a key that is not a
    // valid tenant id must not make the dead letter itself invalid.
    tenantId: message.key !== null && TenantIdSchema.safeParse(message.key).success ? message.key : 'unknown',
    sourceTopic: message.topic,
    consumerGroup: group,
    reason: cause.reason,
    detail: cause.detail.length > MAX_DETAIL ? `${cause.detail.slice(0, MAX_DETAIL - 1)}…` : cause.detail,
    attempts: cause.attempts,
    originalKey: message.key,
    originalValueBase64: message.value === null ? '' : message.value.toString('base64'),
    originalHeaders: { ...message.headers },
  };
}

async function deadLetter(message: InboundMessage, route: EventRoute, runtime: DeliveryRuntime, cause: DeadLetterCause): Promise<DeliveryOutcome> {
  const what = `${message.topic} message ${cause.eventId ?? '(no id)'} (key ${message.key ?? 'none'}) for group ${route.group}`;
  if (message.topic === TOPICS.deadLetter) {
    // Dead-lettering a dead letter would feed the failing consumer its own output, forever.
    runtime.logger.error(`dropping ${what}: ${cause.reason} after ${cause.attempts} attempt(s): ${cause.detail}; original value (base64): ${message.value?.toString('base64') ?? ''}`);
    return 'dropped:dead-letter-topic';
  }
  await runtime.publisher.publish(DeadLetterV1, buildDeadLetter(message, route.group, cause));
  runtime.logger.error(`dead-lettered ${what}: ${cause.reason} after ${cause.attempts} attempt(s): ${cause.detail}`);
  return cause.reason === 'invalid' ? 'dead-lettered:invalid' : 'dead-lettered:handler_failed';
}
