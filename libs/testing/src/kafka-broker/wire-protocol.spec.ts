// The broker at the byte level, where kafkajs cannot be made to ask: long-poll timing, min bytes,
// versions and APIs it does not implement, corrupt batches.
import { connect } from 'node:net';
import type { Socket } from 'node:net';

import { Kafka, Partitioners, logLevel } from 'kafkajs';

import { KafkaTestBroker } from './kafka-test-broker';
import { ApiKey, ErrorCode } from './protocol';
import { InvalidRecordBatchError, readRecordBatches } from './record-batch';
import { WireReader, WireWriter } from './wire';

/** One TCP connection speaking raw Kafka frames, one request at a time. */
class RawConnection {
  private unread = Buffer.alloc(0);
  private correlationId = 0;
  private readonly waiting = new Map<number, (body: Buffer) => void>();
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.unread = Buffer.concat([this.unread, chunk]);
      while (this.unread.length >= 4 && this.unread.length >= 4 + this.unread.readInt32BE(0)) {
        const size = this.unread.readInt32BE(0);
        const frame = this.unread.subarray(4, 4 + size);
        this.unread = this.unread.subarray(4 + size);
        this.waiting.get(frame.readInt32BE(0))?.(frame.subarray(4));
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(apiKey: number, apiVersion: number, body: WireWriter = new WireWriter()): Promise<WireReader> {
    const correlationId = ++this.correlationId;
    const payload = new WireWriter().int16(apiKey).int16(apiVersion).int32(correlationId).nullableString('raw-client').raw(body.toBuffer()).toBuffer();
    const response = new Promise<WireReader>((resolve) => this.waiting.set(correlationId, (frame) => resolve(new WireReader(frame))));
    this.socket.write(Buffer.concat([new WireWriter().int32(payload.length).toBuffer(), payload]));
    return response;
  }

  close(): void {
    this.socket.destroy();
  }
}

function fetchRequest(topic: string, options: { maxWaitMs: number; minBytes: number; offset?: number }): WireWriter {
  return new WireWriter()
    .int32(-1)
    .int32(options.maxWaitMs)
    .int32(options.minBytes)
    .int32(10_000_000)
    .int8(0)
    .array([topic], (writer, name) => writer.string(name).array([0], (partition, index) => partition.int32(index).int64(options.offset ?? 0).int32(1_000_000)));
}

/** The first partition of a Fetch v4 response: error code and record bytes. */
function readFetchResponse(response: WireReader): { errorCode: number; highWatermark: number; records: number } {
  response.int32(); // throttle
  const [topic] = response.array((reader) => ({
    name: reader.string(),
    partitions: reader.array((partition) => {
      const index = partition.int32();
      const errorCode = partition.int16();
      const highWatermark = partition.int64();
      partition.int64(); // last stable offset
      partition.array((aborted) => [aborted.int64(), aborted.int64()]);
      return { index, errorCode, highWatermark, records: partition.bytes().length };
    }),
  }));
  return topic.partitions[0];
}

describe('KafkaTestBroker on the wire', () => {
  let broker: KafkaTestBroker;
  let logs: string[];
  let raw: RawConnection;

  beforeEach(async () => {
    logs = [];
    broker = await KafkaTestBroker.start({ partitions: 1, log: (message) => logs.push(message) });
    raw = await RawConnection.open(broker.port);
  });

  afterEach(async () => {
    raw.close();
    await broker.stop();
  });

  /** Sends each of `sends` (the values of one Produce request) in turn, through one kafkajs producer and connection. */
  async function produce(topic: string, ...sends: string[][]): Promise<void> {
    const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      for (const values of sends) await producer.send({ topic, messages: values.map((value) => ({ value })) });
    } finally {
      await producer.disconnect();
    }
  }

  async function createTopic(topic: string): Promise<void> {
    const response = await raw.send(ApiKey.Metadata, 4, new WireWriter().array([topic], (writer, name) => writer.string(name)).boolean(true));
    response.int32();
    response.array((reader) => [reader.int32(), reader.string(), reader.int32(), reader.nullableString()]);
    response.nullableString();
    response.int32();
    const [answer] = response.array((reader) => ({ errorCode: reader.int16(), name: reader.string(), internal: reader.boolean(), partitions: reader.array((p) => [p.int16(), p.int32(), p.int32(), p.array((r) => r.int32()), p.array((r) => r.int32())]) }));
    expect(answer).toMatchObject({ errorCode: ErrorCode.NONE, name: topic, partitions: [[0, 0, 0, [0], [0]]] });
  }

  it('should hold an empty Fetch until its max wait passes, then answer with no records', async () => {
    await createTopic('quiet');
    const started = Date.now();
    const answer = readFetchResponse(await raw.send(ApiKey.Fetch, 4, fetchRequest('quiet', { maxWaitMs: 300, minBytes: 1 })));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(answer).toEqual({ index: 0, errorCode: ErrorCode.NONE, highWatermark: 0, records: 0 });
  });

  it('should answer a waiting Fetch as soon as a record arrives, long before its max wait', async () => {
    await createTopic('lively');
    const started = Date.now();
    const pending = raw.send(ApiKey.Fetch, 4, fetchRequest('lively', { maxWaitMs: 20_000, minBytes: 1 }));
    await produce('lively', ['hello']);
    const answer = readFetchResponse(await pending);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(answer).toMatchObject({ errorCode: ErrorCode.NONE, highWatermark: 1 });
    expect(answer.records).toBeGreaterThan(0);
  });

  it('should wait for min bytes while fewer are there, and answer with what there is at max wait', async () => {
    await createTopic('trickle');
    await produce('trickle', ['small']);
    const started = Date.now();
    const answer = readFetchResponse(await raw.send(ApiKey.Fetch, 4, fetchRequest('trickle', { maxWaitMs: 300, minBytes: 1_000_000 })));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(answer.records).toBeGreaterThan(0);
  });

  it('should answer OFFSET_OUT_OF_RANGE and UNKNOWN_TOPIC_OR_PARTITION at once instead of waiting', async () => {
    const unknown = readFetchResponse(await raw.send(ApiKey.Fetch, 4, fetchRequest('never-created', { maxWaitMs: 20_000, minBytes: 1 })));
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await createTopic('short');
    const beyondEnd = readFetchResponse(await raw.send(ApiKey.Fetch, 4, fetchRequest('short', { maxWaitMs: 20_000, minBytes: 1, offset: 5 })));
    expect(beyondEnd).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: 0 });
  });

  it('should advertise exactly the versions it implements', async () => {
    const response = await raw.send(ApiKey.ApiVersions, 2);
    expect(response.int16()).toBe(ErrorCode.NONE);
    const versions = Object.fromEntries(response.array((reader) => [reader.int16(), [reader.int16(), reader.int16()]]));
    expect(versions).toEqual({
      0: [3, 3], 1: [4, 4], 2: [2, 2], 3: [4, 4], 8: [3, 3], 9: [3, 3], 10: [1, 1],
      11: [3, 3], 12: [1, 1], 13: [1, 1], 14: [1, 1], 18: [0, 2], 19: [2, 2], 22: [0, 1],
    });
    expect(response.int32()).toBe(0);
  });

  it('should answer an ApiVersions version it does not know with UNSUPPORTED_VERSION and its list', async () => {
    const response = await raw.send(ApiKey.ApiVersions, 3);
    expect(response.int16()).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(response.array((reader) => [reader.int16(), reader.int16(), reader.int16()])).toContainEqual([ApiKey.Produce, 3, 3]);
    expect(logs.join('\n')).toContain('ApiVersions v3');
  });

  it('should close the connection with a clear log line for an API version it does not implement', async () => {
    void raw.send(ApiKey.Metadata, 9, new WireWriter().int8(0));
    await raw.closed;
    expect(logs.join('\n')).toMatch(/Metadata v9 from client 'raw-client' is not supported: the test broker implements versions 4-4/);
  });

  it('should close the connection with a clear log line for an API key it does not implement', async () => {
    void raw.send(15 /* DescribeGroups */, 0, new WireWriter().array(['g'], (writer, group) => writer.string(group)));
    await raw.closed;
    expect(logs.join('\n')).toMatch(/API key 15 v0 from client 'raw-client' is not supported/);
  });

  it('should close the connection with a clear log line for a request it cannot decode', async () => {
    void raw.send(ApiKey.Metadata, 4, new WireWriter().int32(5));
    await raw.closed;
    expect(logs.join('\n')).toMatch(/Metadata v4 from client 'raw-client' failed: implausible array length 5\. Closing the connection\./);
  });

  it('should take requests that arrive over many reads whole, and the next ones on the same connection after them', async () => {
    // 3 MB: the socket hands it over in 64 KB reads at most, so the request is put together from ~50 of them.
    const large = Array.from({ length: 3 * 1024 }, (_, i) => `${i}`.padStart(1024, 'x')).join('');
    await produce('large', ['before'], [large, 'beside'], ['after']);
    const values = broker.topicMessages('large').map((m) => m.value?.toString('utf8'));
    expect(values.map((v) => v?.length)).toEqual([6, large.length, 6, 5]);
    expect(values).toEqual(['before', large, 'beside', 'after']);
  });

  it('should refuse a record batch whose CRC does not match', async () => {
    await produce('checked', ['intact']);
    const stored = broker.topicMessages('checked');
    expect(stored).toHaveLength(1);
    // Take the stored batch bytes back through the public surface: fetch them.
    const fetched = await raw.send(ApiKey.Fetch, 4, fetchRequest('checked', { maxWaitMs: 0, minBytes: 0 }));
    fetched.int32();
    const [[batch]] = fetched.array((topic) => {
      topic.string();
      return topic.array((partition) => {
        partition.int32();
        partition.int16();
        partition.int64();
        partition.int64();
        partition.array((aborted) => aborted.int64());
        return partition.bytes();
      });
    });
    expect(readRecordBatches(batch)).toHaveLength(1);
    const corrupted = Buffer.from(batch);
    corrupted[corrupted.length - 1] ^= 0xff;
    expect(() => readRecordBatches(corrupted)).toThrow(InvalidRecordBatchError);
    expect(() => readRecordBatches(corrupted)).toThrow(/CRC mismatch/);
  });
});
