/** Injection token of the EventPublisher (a symbol: it cannot collide with another lib's string token). */
export const EVENT_PUBLISHER = Symbol('tollgate.EventPublisher');

/** Headers every Tollgate message carries beside the W3C trace context. */
export const HEADER_EVENT_TYPE = 'tollgate-event-type';
export const HEADER_EVENT_VERSION = 'tollgate-event-version';

/** Key under which @ConsumeEvent stores its topic and group in the Nest handler's `extras`. */
export const CONSUMER_BINDING = 'tollgate.consumer';

/** Consumer group ids on Kafka are `tollgate.<group>`, so they never collide with other tenants of a shared cluster. */
export const CONSUMER_GROUP_PREFIX = 'tollgate.';

/** Instrumentation scope of the bus's send and process spans. */
export const TRACER_NAME = '@tollgate/messaging';
