/**
 * OpenTelemetry messaging attributes this library sets (semantic conventions, messaging spans).
 * Defined here rather than imported: the upstream constants live in the unstable `incubating` entry.
 */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system' as const;
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type' as const;
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name' as const;
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name' as const;
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id' as const;
/** Tollgate's own: how many times the handler ran for this message, and how the delivery ended. */
export const ATTR_TOLLGATE_DELIVERY_ATTEMPTS = 'tollgate.messaging.delivery.attempts' as const;
export const ATTR_TOLLGATE_DELIVERY_OUTCOME = 'tollgate.messaging.delivery.outcome' as const;

export const MESSAGING_SYSTEM_KAFKA = 'kafka' as const;
export const MESSAGING_SYSTEM_IN_PROCESS = 'tollgate-in-process' as const;
export type MessagingSystem = typeof MESSAGING_SYSTEM_KAFKA | typeof MESSAGING_SYSTEM_IN_PROCESS;

export const TRACER_NAME = '@tollgate/messaging';
