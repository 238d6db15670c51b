import { isInt32, sizeOfUVarInt32, writeUVarInt32, zigZag32 } from './kafka-varint';
import { kafkajsEncoder } from './kafkajs-encoder';
import { replaceKafkajsModule } from './kafkajs-module';
import type { KafkajsModuleInstall } from './kafkajs-module';

/**
 * kafkajs 2.2.4 builds each record of a Produce request from 1 + 2 × headers Encoders, each
 * starting on a zero-filled 512-byte `Buffer.alloc` (a fresh ArrayBuffer: none of them come from
 * Node's buffer pool), grows the record's to fit the value, then copies the header encoders into
 * the record's. An `llm.call` event with its three headers thus cost seven ArrayBuffers and
 * four copies before the batch copies the record once more. This writes the same bytes into one
 * buffer of the record's exact size (pooled by Node when under 4 KB). `kafkajs-record.spec.ts`
 * compares them with kafkajs' own record encoder; `npm run bench:gateway-micro` measures both.
 * Hand-written because kafkajs has no hook for its record encoding.
 */

const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0';
const PRODUCE_REQUEST_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request';

type HeaderValue = string | Buffer | null | undefined;

/** What kafkajs' produce request hands its record encoder. */
export interface KafkaRecordInput {
  offsetDelta?: number;
  timestampDelta?: unknown;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, HeaderValue | HeaderValue[]> | null;
}

/** Enough of a kafkajs Encoder for the record batch, which copies `buffer` of each record. */
export interface EncodedRecord {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}

/** kafkajs' Encoder.prototype, looked up once (a require per record cost more than the encoding). */
let encoderPrototype: object | undefined;

/** A bytes field as kafkajs writes it (writeVarIntBytes / writeVarIntString): null is length -1, a string its UTF-8. */
interface Field {
  data: Buffer | string | null;
  length: number;
}

/** The field of a string, Buffer or null. kafkajs fails on other values too (Buffer.byteLength throws), only less clearly. */
function field(value: unknown, what: string): Field {
  if (value === null || value === undefined) return { data: null, length: -1 };
  if (typeof value === 'string') return { data: value, length: Buffer.byteLength(value, 'utf8') };
  if (Buffer.isBuffer(value)) return { data: value, length: value.length };
  throw new TypeError(`a Kafka message's ${what} must be a string, a Buffer or null; got ${typeof value}`);
}

function sizeOfField(f: Field): number {
  return f.data === null ? 1 : sizeOfUVarInt32(zigZag32(f.length)) + f.length;
}

function writeField(buf: Buffer, offset: number, f: Field): number {
  offset = writeUVarInt32(buf, offset, zigZag32(f.length));
  if (f.data === null) return offset;
  if (typeof f.data === 'string') return offset + buf.write(f.data, offset, f.length, 'utf8');
  return offset + f.data.copy(buf, offset);
}

/**
 * The zig-zag varlong bytes of a timestamp delta beyond 32 bits (a number, a bigint or kafkajs'
 * Long, whose `value` is a bigint), as kafkajs' writeVarLong writes them. Timestamps a few weeks
 * apart in one batch; rare, so not on the fast path.
 */
function varLong(value: unknown): Buffer {
  let long: bigint;
  if (typeof value === 'bigint') long = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) long = BigInt(value);
  else if (typeof value === 'object' && value !== null && typeof (value as { value?: unknown }).value === 'bigint') long = (value as { value: bigint }).value;
  else throw new TypeError(`a Kafka record's timestamp delta must be an integer; got ${String(value)}`);
  long = BigInt.asIntN(64, long);
  let zigZagged = BigInt.asUintN(64, (long << 1n) ^ (long >> 63n));
  const bytes: number[] = [];
  while (zigZagged >= 0x80n) {
    bytes.push(Number(zigZagged & 0x7fn) | 0x80);
    zigZagged >>= 7n;
  }
  bytes.push(Number(zigZagged));
  return Buffer.from(bytes);
}

/** The bytes of one record (Kafka's v2 record format), as kafkajs' record/v0 writes them. */
export function encodeKafkaRecord(record: KafkaRecordInput): EncodedRecord {
  const offsetDelta = record.offsetDelta ?? 0;
  const timestampDelta = record.timestampDelta ?? 0;
  if (!isInt32(offsetDelta)) throw new TypeError(`a Kafka record's offset delta must be a 32-bit integer; got ${String(offsetDelta)}`);
  const longTimestamp = isInt32(timestampDelta) ? undefined : varLong(timestampDelta);
  const key = field(record.key, 'key');
  const value = field(record.value, 'value');
  const headers: Field[] = [];
  const headerObject = record.headers ?? {};
  for (const name of Object.keys(headerObject)) {
    const headerValue = headerObject[name];
    for (const v of Array.isArray(headerValue) ? headerValue : [headerValue]) {
      headers.push({ data: name, length: Buffer.byteLength(name, 'utf8') }, field(v, `header ${name}`));
    }
  }
  const timestampSize = longTimestamp?.length ?? sizeOfUVarInt32(zigZag32(timestampDelta as number));
  let body = 1 + timestampSize + sizeOfUVarInt32(zigZag32(offsetDelta)) + sizeOfField(key) + sizeOfField(value) + sizeOfUVarInt32(zigZag32(headers.length / 2));
  for (const h of headers) body += sizeOfField(h);
  const size = sizeOfUVarInt32(zigZag32(body)) + body;

  // allocUnsafe: every byte is written below (the spec checks the length and the bytes).
  const buf = Buffer.allocUnsafe(size);
  let offset = writeUVarInt32(buf, 0, zigZag32(body));
  buf[offset++] = 0; // attributes: none used
  offset = longTimestamp ? offset + longTimestamp.copy(buf, offset) : writeUVarInt32(buf, offset, zigZag32(timestampDelta as number));
  offset = writeUVarInt32(buf, offset, zigZag32(offsetDelta));
  offset = writeField(buf, offset, key);
  offset = writeField(buf, offset, value);
  offset = writeUVarInt32(buf, offset, zigZag32(headers.length / 2));
  for (const h of headers) offset = writeField(buf, offset, h);
  if (offset !== size) throw new Error(`kafka record encoding wrote ${offset} of ${size} bytes`);

  // An Encoder over the finished bytes, so kafkajs' record batch takes it as its own.
  encoderPrototype ??= kafkajsEncoder().prototype;
  const encoder = Object.create(encoderPrototype) as EncodedRecord;
  encoder.buf = buf;
  encoder.offset = size;
  return encoder;
}

/**
 * Makes kafkajs' produce request encode records with encodeKafkaRecord: put in the require cache
 * before the produce request first requires kafkajs' own (at the first produce; see
 * replaceKafkajsModule). `too-late` afterwards: kafkajs then keeps its own, the same bytes, slower.
 */
export function installKafkajsRecordEncoder(cache?: NodeJS.Dict<NodeJS.Module>, resolve?: (id: string) => string): KafkajsModuleInstall {
  return replaceKafkajsModule(RECORD_MODULE, encodeKafkaRecord, [PRODUCE_REQUEST_MODULE], cache, resolve);
}
