// What every API handler gets and returns. Each handler decodes its one request version, acts on
// the broker's state, and encodes the response body (the broker adds size and correlation id).
import type { GroupCoordinator } from './group-coordinator';
import type { IdempotentProducers } from './idempotent-producers';
import type { TopicStore } from './topic-store';
import type { WireReader, WireWriter } from './wire';

/** The handler wants no response written (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no response');
/** The handler wants the connection closed instead of answered (a simulated lost response). */
export const CLOSE_CONNECTION = Symbol('close connection');

export type HandlerResult = WireWriter | typeof NO_RESPONSE | typeof CLOSE_CONNECTION;

export interface BrokerState {
  readonly host: string;
  readonly port: number;
  readonly topics: TopicStore;
  readonly producers: IdempotentProducers;
  readonly groups: GroupCoordinator;
  readonly faults: { produceAcksToLose: number };
  readonly supportedApis: readonly ApiDefinition[];
  log(message: string): void;
}

export interface RequestContext {
  readonly broker: BrokerState;
  readonly apiVersion: number;
  readonly clientId: string;
  readonly connectionId: number;
  /** Aborted when the connection closes, so a long-polling Fetch stops waiting. */
  readonly closed: AbortSignal;
}

export interface ApiDefinition {
  readonly key: number;
  readonly name: string;
  /** The versions this broker decodes and encodes, advertised as such in ApiVersions. */
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(request: WireReader, context: RequestContext): HandlerResult | Promise<HandlerResult>;
}
