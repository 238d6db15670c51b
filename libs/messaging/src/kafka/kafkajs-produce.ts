import { kafkaCrc32c } from './kafkajs-crc32c';
import { replaceKafkajsModule } from './kafkajs-module';
import type { KafkajsModuleInstall } from './kafkajs-module';
import { measureKafkaRecord, wrapAsEncoder, writeKafkaRecord } from './kafkajs-record';
import type { EncodedRecord, KafkaRecordInput, MeasuredRecord } from './kafkajs-record';

/**
 * kafkajs 2.2.4 encodes a Produce request in layers: each record into an Encoder of its own, the
 * records into the batch body, the body into the batch, the batch into a record set, that into the
 * partition, the partition into the topic, the topic into the request body, and the body twice more
 * into the request with its header (`protocol/request.js`). Each layer starts a fresh Encoder and
 * grows it by powers of two, so a request of a hundred `llm.call` events (~150 KB) was copied about
 * sixteen times into some fifteen fresh buffers of up to 256 KB, in one synchronous stretch of the
 * publisher's main thread. This writes the request once: it measures every record, lays the
 * request out, allocates one buffer of its exact size (with room in front for the request header)
 * and writes every byte in place, the CRC-32C of each batch over the bytes just written.
 * `createKafkaRequest` then writes the header into that room instead of copying the body.
 *
 * `kafkajs-produce.spec.ts` checks the bytes against kafkajs' own encoding (every version from 3 to
 * 7 uses this one) and a produce/consume round trip through the test broker; `npm run
 * bench:gateway-micro` measures both. Hand-written because kafkajs has no hook for its encoding.
 * Uncompressed batches only: Tollgate sets no compression, and a request asking for one is refused
 * with a clear error rather than sent uncompressed.
 */

const PRODUCE_V3_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request';
/** The later versions' requests, which take v3's when first required. */
const PRODUCE_LATER_MODULES = [4, 5, 6, 7].map((version) => `kafkajs/src/protocol/requests/produce/v${version}/request`);
const REQUEST_MODULE = 'kafkajs/src/protocol/request';
const CONNECTION_MODULE = 'kafkajs/src/network/connection';

const PRODUCE_API_KEY = 0;
const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;
/** Bytes a record batch takes besides its records: the record set's offset and length, the batch header, and the record count. */
const BATCH_OVERHEAD = 8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
/** Where the CRC-covered part of a batch starts, from the start of its record set. */
const CRC_START = 8 + 4 + 4 + 1 + 4;
/**
 * Room kept in front of a Produce request's body for the request header (size, API key and
 * version, correlation id, client id): enough for a client id of 100 bytes. A longer one costs one
 * copy of the body, as before.
 */
const HEADER_ROOM = 4 + 2 + 2 + 4 + 2 + 100;

/** On a body with HEADER_ROOM in front of it: the buffer that holds both, for `createKafkaRequest`. */
const ROOM = Symbol('tollgate.kafkajs.headerRoom');

interface Payload extends EncodedRecord {
  [ROOM]?: Buffer;
}

interface KafkajsLong {
  getHighBits(): number;
  getLowBits(): number;
}

interface LongClass {
  fromInt(value: number): KafkajsLong;
  fromValue(value: unknown): KafkajsLong;
}

type Timestamp = number | string | null | undefined;

/** A message as kafkajs' producer hands it to the Produce request. */
export interface ProduceMessage extends KafkaRecordInput {
  timestamp?: Timestamp;
}

/** What kafkajs' `requests.Produce(version)` passes to the v3 request (v4 to v7 too). */
export interface ProduceRequestArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: ReadonlyArray<{ topic: string; partitions: ReadonlyArray<{ partition: number; firstSequence?: number; messages: readonly ProduceMessage[] }> }>;
}

/** A kafkajs protocol request: what its connection sends. */
export interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse(): boolean;
  encode(): Promise<EncodedRecord>;
}

let Long: LongClass | undefined;
function kafkajsLong(): LongClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' Long, for its int64 forms (number, string, bigint, Long)
  return (Long ??= require('kafkajs/src/utils/long') as LongClass);
}

/** One partition's batch, laid out. */
interface Batch {
  partition: number;
  firstSequence: number;
  firstTimestamp: Timestamp;
  maxTimestamp: Timestamp;
  records: MeasuredRecord[];
  /** Bytes of its record set (offset, length, batch). */
  size: number;
}

/** A string field as kafkajs' writeString writes it: int16 length (-1 for null), then UTF-8. */
function sizeOfString(value: string | null | undefined): number {
  return value == null ? 2 : 2 + Buffer.byteLength(value, 'utf8');
}

function writeString(buf: Buffer, offset: number, value: string | null | undefined): number {
  if (value == null) return buf.writeInt16BE(-1, offset);
  const length = buf.write(value, offset + 2, 'utf8');
  buf.writeInt16BE(length, offset);
  return offset + 2 + length;
}

function writeInt64(buf: Buffer, offset: number, value: unknown): number {
  const long = kafkajsLong().fromValue(value);
  buf.writeInt32BE(long.getHighBits(), offset);
  return buf.writeInt32BE(long.getLowBits(), offset + 4);
}

/**
 * The batch of one partition, as kafkajs lays it out: messages without a timestamp take the
 * request's time; the batch's first and last timestamps are the lowest and highest given, sorted
 * as kafkajs sorts them (Array.prototype.sort's default order).
 */
function layOutBatch(partition: number, firstSequence: number | undefined, messages: readonly ProduceMessage[], now: number): Batch {
  let firstTimestamp: Timestamp = now;
  let maxTimestamp: Timestamp = now;
  if (messages.some((m) => m.timestamp != null)) {
    const stamps = messages
      .map((m) => m.timestamp)
      .filter((t) => t != null)
      .sort();
    firstTimestamp = stamps[0];
    maxTimestamp = stamps[stamps.length - 1];
  }
  const records: MeasuredRecord[] = new Array<MeasuredRecord>(messages.length);
  let size = BATCH_OVERHEAD;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    // As kafkajs: `(message.timestamp || dateNow) - firstTimestamp`, numeric strings taken as numbers.
    records[i] = measureKafkaRecord(message, i, Number(message.timestamp || now) - Number(firstTimestamp));
    size += records[i].size;
  }
  return { partition, firstSequence: firstSequence ?? 0, firstTimestamp, maxTimestamp, records, size };
}

/** The v3 Produce request body, written in one buffer with HEADER_ROOM in front. */
function encodeProduceBody(args: Required<Pick<ProduceRequestArgs, 'acks' | 'timeout' | 'topicData'>> & { transactionalId: string | null; producerId: unknown; producerEpoch: number }): Payload {
  const now = Date.now();
  const attributes = args.transactionalId ? TRANSACTIONAL_MASK : 0;
  let size = sizeOfString(args.transactionalId) + 2 + 4 + 4;
  const topics = args.topicData.map(({ topic, partitions }) => {
    size += sizeOfString(topic) + 4;
    const batches = partitions.map(({ partition, firstSequence, messages }) => layOutBatch(partition, firstSequence, messages, now));
    for (const batch of batches) size += 4 + 4 + batch.size;
    return { topic, batches };
  });

  // allocUnsafe: every byte after the header room is written below (checked at the end).
  const buf = Buffer.allocUnsafe(HEADER_ROOM + size);
  let offset = writeString(buf, HEADER_ROOM, args.transactionalId);
  offset = buf.writeInt16BE(args.acks, offset);
  offset = buf.writeInt32BE(args.timeout, offset);
  offset = buf.writeInt32BE(topics.length, offset);
  for (const { topic, batches } of topics) {
    offset = writeString(buf, offset, topic);
    offset = buf.writeInt32BE(batches.length, offset);
    for (const batch of batches) {
      offset = buf.writeInt32BE(batch.partition, offset);
      offset = buf.writeInt32BE(batch.size, offset);
      const start = offset;
      offset = writeInt64(buf, offset, 0); // first offset
      offset = buf.writeInt32BE(batch.size - 12, offset); // the batch's length, after the offset and itself
      offset = buf.writeInt32BE(0, offset); // partition leader epoch
      offset = buf.writeInt8(MAGIC_BYTE, offset);
      offset += 4; // the CRC, written once the bytes it covers are
      offset = buf.writeInt16BE(attributes, offset);
      offset = buf.writeInt32BE(batch.records.length - 1, offset); // last offset delta
      offset = writeInt64(buf, offset, batch.firstTimestamp);
      offset = writeInt64(buf, offset, batch.maxTimestamp);
      offset = writeInt64(buf, offset, args.producerId);
      offset = buf.writeInt16BE(args.producerEpoch, offset);
      offset = buf.writeInt32BE(batch.firstSequence, offset);
      offset = buf.writeInt32BE(batch.records.length, offset);
      for (const record of batch.records) offset = writeKafkaRecord(buf, offset, record);
      if (offset !== start + batch.size) throw new Error(`kafka produce encoding wrote ${offset - start} of ${batch.size} bytes of a batch`);
      buf.writeUInt32BE(kafkaCrc32c(buf.subarray(start + CRC_START, offset)), start + CRC_START - 4);
    }
  }
  if (offset !== HEADER_ROOM + size) throw new Error(`kafka produce encoding wrote ${offset - HEADER_ROOM} of ${size} bytes`);
  const payload: Payload = wrapAsEncoder(buf.subarray(HEADER_ROOM), size);
  payload[ROOM] = buf;
  return payload;
}

/** kafkajs' produce v3 request (v4 to v7 reuse it), encoding in one pass: put in kafkajs' place by installKafkajsProduceEncoder. */
export function produceRequestV3({ acks, timeout, transactionalId = null, producerId, producerEpoch = 0, compression = 0, topicData }: ProduceRequestArgs): KafkajsRequest {
  return {
    apiKey: PRODUCE_API_KEY,
    apiVersion: 3,
    apiName: 'Produce',
    expectResponse: () => acks !== 0,
    encode: () => {
      if (compression !== 0) return Promise.reject(new Error(`Tollgate's Kafka produce encoder writes uncompressed batches only (asked for compression ${compression})`));
      try {
        return Promise.resolve(encodeProduceBody({ acks, timeout, transactionalId, producerId: producerId ?? kafkajsLong().fromInt(-1), producerEpoch, topicData }));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
}

/** What kafkajs' connection passes to `protocol/request`. */
export interface CreateRequestArgs {
  correlationId: number;
  clientId: string | null | undefined;
  request: Pick<KafkajsRequest, 'apiKey' | 'apiVersion' | 'encode'>;
}

/**
 * kafkajs' `protocol/request`: the request's size and header (API key and version, correlation id,
 * client id) before its body. Written in front of the body when the body kept room for it (a
 * Produce request from produceRequestV3), else into one buffer of the exact size with one copy of
 * the body (kafkajs copied every body twice, into power-of-two buffers).
 */
export async function createKafkaRequest({ correlationId, clientId, request: { apiKey, apiVersion, encode } }: CreateRequestArgs): Promise<EncodedRecord> {
  const payload: Payload = await encode();
  const bodySize = payload.offset;
  const headerSize = 4 + 2 + 2 + 4 + sizeOfString(clientId);
  const room = payload[ROOM];
  let buf: Buffer;
  if (room !== undefined && headerSize <= HEADER_ROOM) {
    buf = room.subarray(HEADER_ROOM - headerSize, HEADER_ROOM + bodySize);
  } else {
    buf = Buffer.allocUnsafe(headerSize + bodySize);
    payload.buf.copy(buf, headerSize, 0, bodySize);
  }
  let offset = buf.writeInt32BE(headerSize - 4 + bodySize, 0);
  offset = buf.writeInt16BE(apiKey, offset);
  offset = buf.writeInt16BE(apiVersion, offset);
  offset = buf.writeInt32BE(correlationId, offset);
  offset = writeString(buf, offset, clientId);
  if (offset !== headerSize) throw new Error(`kafka request header: wrote ${offset} of ${headerSize} bytes`);
  return wrapAsEncoder(buf, buf.length);
}

/**
 * Puts produceRequestV3 and createKafkaRequest in kafkajs' place in the require cache, before the
 * modules that take them first require them (see replaceKafkajsModule): the produce request before
 * the first Produce of a version from 4 up, the request header before the first connection.
 * Returns the outcome for each; `too-late` leaves kafkajs' own (the same bytes, slower).
 */
export function installKafkajsProduceEncoder(cache?: NodeJS.Dict<NodeJS.Module>, resolve?: (id: string) => string): { produce: KafkajsModuleInstall; request: KafkajsModuleInstall } {
  return {
    produce: replaceKafkajsModule(PRODUCE_V3_MODULE, produceRequestV3, PRODUCE_LATER_MODULES, cache, resolve),
    request: replaceKafkajsModule(REQUEST_MODULE, createKafkaRequest, [CONNECTION_MODULE], cache, resolve),
  };
}
