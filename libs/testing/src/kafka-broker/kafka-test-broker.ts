import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

import { CLOSE_CONNECTION, NO_RESPONSE } from './api';
import type { ApiDefinition, BrokerState } from './api';
import { SUPPORTED_APIS, apiVersionsResponse } from './apis';
import { GroupCoordinator } from './group-coordinator';
import type { GroupDescription } from './group-coordinator';
import { IdempotentProducers } from './idempotent-producers';
import { ApiKey, ErrorCode } from './protocol';
import { decodeRecords } from './record-batch';
import { TopicStore } from './topic-store';
import { WireReader } from './wire';
import type { WireWriter } from './wire';

export interface KafkaTestBrokerOptions {
  /** Partitions of auto-created topics and of CreateTopics without a count. Default 3. */
  partitions?: number;
  /** Create unknown topics on Metadata (when the client allows it) and on Produce. Default true. */
  autoCreateTopics?: boolean;
  /** Port on 127.0.0.1; 0 (the default) takes a free one. */
  port?: number;
  /** Where unsupported or malformed requests, refused batches and injected faults are reported. Default: console.warn. */
  log?: (message: string) => void;
}

/** A record as the broker stored it, for assertions. */
export interface BrokerMessage {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
}

const HOST = '127.0.0.1';
const MAX_REQUEST_BYTES = 100 * 1024 * 1024;
const GROUP_TICK_MS = 50;

/**
 * A single-node Kafka broker speaking the wire protocol, in memory, for tests only (production
 * and the Helm chart use a real Kafka cluster). See index.ts for what it implements.
 */
export class KafkaTestBroker {
  private server: Server | undefined;
  private listeningPort = 0;
  private readonly sockets = new Set<Socket>();
  private groupTicker: NodeJS.Timeout | undefined;
  private nextConnectionId = 1;
  private readonly apis = new Map<number, ApiDefinition>(SUPPORTED_APIS.map((api) => [api.key, api]));
  private readonly state: BrokerState;

  private constructor(options: KafkaTestBrokerOptions) {
    const partitions = options.partitions ?? 3;
    if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`KafkaTestBroker: partitions must be a positive integer, got ${partitions}`);
    const log = options.log ?? ((message: string) => console.warn(`[kafka-test-broker] ${message}`));
    const port = () => this.listeningPort;
    this.state = {
      host: HOST,
      get port() {
        return port();
      },
      topics: new TopicStore(partitions, options.autoCreateTopics ?? true),
      producers: new IdempotentProducers(),
      groups: new GroupCoordinator(),
      faults: { produceAcksToLose: 0 },
      supportedApis: SUPPORTED_APIS,
      log,
    };
  }

  /** Starts a broker on 127.0.0.1; `brokers` is what a kafkajs client needs. */
  static async start(options: KafkaTestBrokerOptions = {}): Promise<KafkaTestBroker> {
    const broker = new KafkaTestBroker(options);
    await broker.listen(options.port ?? 0);
    return broker;
  }

  /** `['127.0.0.1:<port>']`, stable across `stop()` / `restart()`. */
  get brokers(): string[] {
    return [`${HOST}:${this.listeningPort}`];
  }

  get port(): number {
    return this.listeningPort;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /**
   * Closes the listener and every client connection, as a broker going down would. Topics,
   * messages, committed offsets, group members and producer sequences stay, so `restart()` brings
   * the same broker back. Also the teardown at the end of a test.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    clearInterval(this.groupTicker);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port with all data kept; group members get a fresh session. */
  async restart(): Promise<void> {
    if (this.server) return;
    this.state.groups.restartClocks();
    await this.listen(this.listeningPort);
  }

  /** Every record stored for `topic`, by partition then offset; [] for an unknown topic. */
  topicMessages(topic: string): BrokerMessage[] {
    const stored = this.state.topics.get(topic);
    if (!stored) return [];
    return stored.partitions.flatMap((log, partition) =>
      log.batches.flatMap((batch) => decodeRecords(batch.bytes).map((record) => ({ topic, partition, ...record }))),
    );
  }

  /**
   * Fault injection: the next `count` Produce requests that append something are appended, then
   * their connection is closed instead of answered, as if the acknowledgement was lost.
   */
  loseNextProduceAcks(count = 1): void {
    this.state.faults.produceAcksToLose += count;
  }

  /** A consumer group's state, generation and members, or undefined if the group is unknown. */
  describeGroup(groupId: string): GroupDescription | undefined {
    return this.state.groups.describe(groupId);
  }

  private async listen(port: number): Promise<void> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.listeningPort = (server.address() as AddressInfo).port;
    this.groupTicker = setInterval(() => this.state.groups.tick(), GROUP_TICK_MS);
    this.groupTicker.unref();
  }

  private accept(socket: Socket): void {
    const connectionId = this.nextConnectionId++;
    const closed = new AbortController();
    this.sockets.add(socket);
    let unread = Buffer.alloc(0);
    // Requests on one connection are served one after the other, as Kafka does: a long-polling
    // Fetch holds back the next request on its connection (kafkajs gives Fetch its own connection).
    let served = Promise.resolve();
    socket.on('data', (chunk) => {
      unread = unread.length === 0 ? chunk : Buffer.concat([unread, chunk]);
      while (unread.length >= 4) {
        const size = unread.readInt32BE(0);
        if (size < 0 || size > MAX_REQUEST_BYTES) {
          this.state.log(`closing connection ${connectionId}: request size ${size} is not plausible (is the client speaking Kafka?)`);
          socket.destroy();
          return;
        }
        if (unread.length < 4 + size) break;
        const frame = unread.subarray(4, 4 + size);
        unread = unread.subarray(4 + size);
        served = served.then(() => this.serve(frame, socket, connectionId, closed.signal));
      }
    });
    socket.on('error', () => undefined); // a client going away mid-write; 'close' follows
    socket.on('close', () => {
      this.sockets.delete(socket);
      closed.abort();
      this.state.groups.connectionClosed(connectionId);
    });
  }

  private async serve(frame: Buffer, socket: Socket, connectionId: number, closed: AbortSignal): Promise<void> {
    if (socket.destroyed) return;
    const request = new WireReader(frame);
    let header: { apiKey: number; apiVersion: number; correlationId: number; clientId: string };
    try {
      header = { apiKey: request.int16(), apiVersion: request.int16(), correlationId: request.int32(), clientId: request.nullableString() ?? '' };
    } catch (error) {
      this.state.log(`closing connection ${connectionId}: unreadable request header (${describeError(error)})`);
      socket.destroy();
      return;
    }
    const { apiKey, apiVersion, correlationId, clientId } = header;
    const api = this.apis.get(apiKey);
    if (!api || apiVersion < api.minVersion || apiVersion > api.maxVersion) {
      const supported = api ? `versions ${api.minVersion}-${api.maxVersion}` : 'no version of it';
      const what = api ? `${api.name} v${apiVersion}` : `API key ${apiKey} v${apiVersion}`;
      if (apiKey === ApiKey.ApiVersions) {
        this.state.log(`${what} from client '${clientId}' is not supported (${supported}); answered UNSUPPORTED_VERSION with the supported list`);
        this.write(socket, correlationId, apiVersionsResponse(SUPPORTED_APIS, ErrorCode.UNSUPPORTED_VERSION, false));
        return;
      }
      // Other responses have no layout that every version shares, so there is no safe way to say
      // UNSUPPORTED_VERSION; like Kafka, close the connection, and say why here.
      this.state.log(`${what} from client '${clientId}' is not supported: the test broker implements ${supported}. Closing the connection. Supported: ${describeApis()}`);
      socket.destroy();
      return;
    }
    try {
      const result = await api.handle(request, { broker: this.state, apiVersion, clientId, connectionId, closed });
      if (request.remaining > 0) this.state.log(`${api.name} v${apiVersion} from client '${clientId}' left ${request.remaining} bytes undecoded`);
      if (result === NO_RESPONSE) return;
      if (result === CLOSE_CONNECTION) {
        socket.destroy();
        return;
      }
      this.write(socket, correlationId, result);
    } catch (error) {
      this.state.log(`${api.name} v${apiVersion} from client '${clientId}' failed: ${describeError(error)}. Closing the connection.`);
      socket.destroy();
    }
  }

  private write(socket: Socket, correlationId: number, body: WireWriter): void {
    if (socket.destroyed) return;
    const payload = body.toBuffer();
    const frame = Buffer.allocUnsafe(8);
    frame.writeInt32BE(payload.length + 4, 0);
    frame.writeInt32BE(correlationId, 4);
    socket.write(Buffer.concat([frame, payload]));
  }
}

function describeApis(): string {
  return SUPPORTED_APIS.map((api) => `${api.name}(${api.key}) v${api.minVersion}${api.maxVersion > api.minVersion ? `-${api.maxVersion}` : ''}`).join(', ');
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
