import { BaseRpcContext } from '@nestjs/microservices';

/** What a handler learns about the message besides the event itself. */
export interface EventContext {
  topic: string;
  /** The message key: the tenant id for every Tollgate event. */
  key: string | null;
  headers: Record<string, string>;
  /** The @ConsumeEvent group this delivery is for. */
  group: string;
  /** 1 on the first run, then 2, 3, ... on retries of the same message. */
  attempt: number;
}

/**
 * The EventContext as an RPC context, so Nest guards and interceptors that call
 * `switchToRpc().getContext()` see the usual shape.
 */
export class EventRpcContext extends BaseRpcContext<[EventContext]> implements EventContext {
  readonly topic: string;
  readonly key: string | null;
  readonly headers: Record<string, string>;
  readonly group: string;
  readonly attempt: number;

  constructor(fields: EventContext) {
    super([fields]);
    this.topic = fields.topic;
    this.key = fields.key;
    this.headers = fields.headers;
    this.group = fields.group;
    this.attempt = fields.attempt;
  }
}
