import { isInt32, sizeOfUVarInt32, writeUVarInt32, zigZag32 } from './kafka-varint';
import { kafkajsEncoder } from './kafkajs-encoder';

/**
 * Kafka's v2 records, written in place for the one-pass Produce encoder (kafkajs-produce.ts).
 * kafkajs 2.2.4 built each record of a Produce request from 1 + 2 × headers Encoders, each starting
 * on a zero-filled 512-byte `Buffer.alloc` (a fresh ArrayBuffer each), grew the record's to fit the
 * value, then copied the header encoders into it: for an `llm.call` event with its three headers,
 * seven ArrayBuffers and four copies before the batch copied the record again. Here a record is
 * measured first (measureKafkaRecord), then written where the request has room for it
 * (writeKafkaRecord). `kafkajs-record.spec.ts` compares the bytes with kafkajs' own record encoder.
 * Hand-written because kafkajs has no hook for its record encoding.
 */

type HeaderValue = string | Buffer | null | undefined;

/** What kafkajs' produce request hands its record encoder. */
export interface KafkaRecordInput {
  offsetDelta?: number;
  timestampDelta?: unknown;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, HeaderValue | HeaderValue[]> | null;
}

/** Enough of a kafkajs Encoder for kafkajs' code that reads one: its bytes are `buf[0, offset)`. */
export interface EncodedRecord {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}

/** kafkajs' Encoder.prototype, looked up once (a require per record cost more than the encoding). */
let encoderPrototype: object | undefined;

/** A bytes field as kafkajs writes it (writeVarIntBytes / writeVarIntString): null is length -1, a string its UTF-8. */
export interface Field {
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

/** A record measured for writing: its fields and its size, so that a batch can be laid out before it is written. */
export interface MeasuredRecord {
  /** Bytes of the whole record, its length varint included. */
  size: number;
  /** Bytes after the length varint (the length the varint holds). */
  body: number;
  offsetDelta: number;
  /** The zig-zag varlong bytes of a timestamp delta beyond 32 bits; undefined when it fits 32. */
  longTimestamp: Buffer | undefined;
  timestampDelta: number;
  key: Field;
  value: Field;
  /** Name and value fields, in pairs. */
  headers: Field[];
}

/** Measures a message as the record at `offsetDelta` of its batch (Kafka's v2 record format, as kafkajs' record/v0 writes it). */
export function measureKafkaRecord(message: KafkaRecordInput, offsetDelta: unknown, timestampDelta: unknown): MeasuredRecord {
  if (!isInt32(offsetDelta)) throw new TypeError(`a Kafka record's offset delta must be a 32-bit integer; got ${String(offsetDelta)}`);
  const longTimestamp = isInt32(timestampDelta) ? undefined : varLong(timestampDelta);
  const key = field(message.key, 'key');
  const value = field(message.value, 'value');
  const headers: Field[] = [];
  const headerObject = message.headers ?? {};
  for (const name of Object.keys(headerObject)) {
    const headerValue = headerObject[name];
    for (const v of Array.isArray(headerValue) ? headerValue : [headerValue]) {
      headers.push({ data: name, length: Buffer.byteLength(name, 'utf8') }, field(v, `header ${name}`));
    }
  }
  const timestampSize = longTimestamp?.length ?? sizeOfUVarInt32(zigZag32(timestampDelta as number));
  let body = 1 + timestampSize + sizeOfUVarInt32(zigZag32(offsetDelta)) + sizeOfField(key) + sizeOfField(value) + sizeOfUVarInt32(zigZag32(headers.length / 2));
  for (const h of headers) body += sizeOfField(h);
  return { size: sizeOfUVarInt32(zigZag32(body)) + body, body, offsetDelta, longTimestamp, timestampDelta: longTimestamp ? 0 : (timestampDelta as number), key, value, headers };
}

/** Writes a measured record at `offset` (record.size bytes, every one of them); returns the offset after it. */
export function writeKafkaRecord(buf: Buffer, offset: number, record: MeasuredRecord): number {
  const end = offset + record.size;
  offset = writeUVarInt32(buf, offset, zigZag32(record.body));
  buf[offset++] = 0; // attributes: none used
  offset = record.longTimestamp ? offset + record.longTimestamp.copy(buf, offset) : writeUVarInt32(buf, offset, zigZag32(record.timestampDelta));
  offset = writeUVarInt32(buf, offset, zigZag32(record.offsetDelta));
  offset = writeField(buf, offset, record.key);
  offset = writeField(buf, offset, record.value);
  offset = writeUVarInt32(buf, offset, zigZag32(record.headers.length / 2));
  for (const h of record.headers) offset = writeField(buf, offset, h);
  if (offset !== end) throw new Error(`kafka record encoding wrote ${offset - end + record.size} of ${record.size} bytes`);
  return offset;
}

/** The bytes of one record (Kafka's v2 record format), as kafkajs' record/v0 writes them. */
export function encodeKafkaRecord(record: KafkaRecordInput): EncodedRecord {
  const measured = measureKafkaRecord(record, record.offsetDelta ?? 0, record.timestampDelta ?? 0);
  // allocUnsafe: every byte is written (writeKafkaRecord checks the count; the spec the bytes).
  const buf = Buffer.allocUnsafe(measured.size);
  writeKafkaRecord(buf, 0, measured);
  return wrapAsEncoder(buf, measured.size);
}

/** An Encoder over finished bytes `buf[0, offset)`, so that kafkajs takes them as its own. */
export function wrapAsEncoder(buf: Buffer, offset: number): EncodedRecord {
  encoderPrototype ??= kafkajsEncoder().prototype;
  const encoder = Object.create(encoderPrototype) as EncodedRecord;
  encoder.buf = buf;
  encoder.offset = offset;
  return encoder;
}
