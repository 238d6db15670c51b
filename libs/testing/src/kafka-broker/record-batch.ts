// Record batches, magic 2 (https://kafka.apache.org/documentation/#recordbatch). The broker stores
// a producer's batch as received, only stamping its base offset, and serves it back as is; it
// decodes the records inside only for `topicMessages()` and ListOffsets by timestamp.
import { gunzipSync, zstdDecompressSync } from 'node:zlib';

import { crc32c } from './crc32c';
import { ErrorCode } from './protocol';
import type { ErrorCodeValue } from './protocol';

// Byte positions inside a batch.
const BASE_OFFSET = 0;
const BATCH_LENGTH = 8; // counts the bytes after this field
const PARTITION_LEADER_EPOCH = 12;
const MAGIC = 16;
const CRC = 17;
const ATTRIBUTES = 21; // the CRC covers from here to the end
const LAST_OFFSET_DELTA = 23;
const FIRST_TIMESTAMP = 27;
const MAX_TIMESTAMP = 35;
const PRODUCER_ID = 43;
const PRODUCER_EPOCH = 51;
const BASE_SEQUENCE = 53;
const RECORD_COUNT = 57;
const RECORDS = 61;

const COMPRESSION_MASK = 0x07;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;

/** A batch the broker refuses, with the error code the Produce response carries. */
export class InvalidRecordBatchError extends Error {
  override readonly name = 'InvalidRecordBatchError';

  constructor(
    message: string,
    readonly errorCode: ErrorCodeValue,
  ) {
    super(message);
  }
}

export interface RecordBatch {
  /** The whole batch, base offset first. */
  bytes: Buffer;
  lastOffsetDelta: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
}

/** Splits a Produce request's record set into validated batches (copied, so they outlive the request). */
export function readRecordBatches(recordSet: Buffer): RecordBatch[] {
  const batches: RecordBatch[] = [];
  let at = 0;
  while (at < recordSet.length) {
    if (recordSet.length - at < RECORDS) {
      throw new InvalidRecordBatchError(`record set has ${recordSet.length - at} trailing bytes, less than a batch header`, ErrorCode.CORRUPT_MESSAGE);
    }
    const magic = recordSet.readInt8(at + MAGIC);
    if (magic !== 2) {
      throw new InvalidRecordBatchError(`message format magic ${magic} is not supported; the test broker accepts record batches (magic 2) only`, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    }
    const end = at + BATCH_LENGTH + 4 + recordSet.readInt32BE(at + BATCH_LENGTH);
    if (end > recordSet.length || end < at + RECORDS) {
      throw new InvalidRecordBatchError('record batch length does not match the record set', ErrorCode.CORRUPT_MESSAGE);
    }
    const bytes = Buffer.from(recordSet.subarray(at, end));
    const expectedCrc = bytes.readUInt32BE(CRC);
    const actualCrc = crc32c(bytes.subarray(ATTRIBUTES));
    if (expectedCrc !== actualCrc) {
      throw new InvalidRecordBatchError(`record batch CRC mismatch (header ${expectedCrc}, computed ${actualCrc})`, ErrorCode.CORRUPT_MESSAGE);
    }
    const attributes = bytes.readInt16BE(ATTRIBUTES);
    if (attributes & (TRANSACTIONAL_FLAG | CONTROL_FLAG)) {
      throw new InvalidRecordBatchError('transactional and control batches are not supported by the test broker', ErrorCode.INVALID_RECORD);
    }
    const lastOffsetDelta = bytes.readInt32BE(LAST_OFFSET_DELTA);
    const recordCount = bytes.readInt32BE(RECORD_COUNT);
    if (lastOffsetDelta < 0 || recordCount !== lastOffsetDelta + 1) {
      throw new InvalidRecordBatchError(`record batch has ${recordCount} records but last offset delta ${lastOffsetDelta}`, ErrorCode.INVALID_RECORD);
    }
    batches.push({
      bytes,
      lastOffsetDelta,
      maxTimestamp: Number(bytes.readBigInt64BE(MAX_TIMESTAMP)),
      producerId: Number(bytes.readBigInt64BE(PRODUCER_ID)),
      producerEpoch: bytes.readInt16BE(PRODUCER_EPOCH),
      baseSequence: bytes.readInt32BE(BASE_SEQUENCE),
      recordCount,
    });
    at = end;
  }
  return batches;
}

/** Stamps the offset the log gives the batch (outside the CRC, so the checksum stays valid). */
export function assignBaseOffset(batch: Buffer, baseOffset: number): void {
  batch.writeBigInt64BE(BigInt(baseOffset), BASE_OFFSET);
  batch.writeInt32BE(0, PARTITION_LEADER_EPOCH);
}

/** The records of a stored batch, decompressed where Node can (gzip, zstd). */
export function decodeRecords(batch: Buffer): DecodedRecord[] {
  const baseOffset = Number(batch.readBigInt64BE(BASE_OFFSET));
  const firstTimestamp = Number(batch.readBigInt64BE(FIRST_TIMESTAMP));
  const count = batch.readInt32BE(RECORD_COUNT);
  const codec = batch.readInt16BE(ATTRIBUTES) & COMPRESSION_MASK;
  const reader = new VarintReader(decompress(codec, batch.subarray(RECORDS)));
  const records: DecodedRecord[] = [];
  for (let i = 0; i < count; i++) {
    reader.varint(); // record length
    reader.skip(1); // record attributes, unused
    const timestampDelta = reader.varint();
    const offsetDelta = reader.varint();
    const key = reader.bytes();
    const value = reader.bytes();
    const headers: DecodedRecord['headers'] = [];
    const headerCount = reader.varint();
    for (let h = 0; h < headerCount; h++) {
      const headerKey = reader.bytes()?.toString('utf8') ?? '';
      headers.push({ key: headerKey, value: reader.bytes() });
    }
    records.push({ offset: baseOffset + offsetDelta, timestamp: firstTimestamp + timestampDelta, key, value, headers });
  }
  return records;
}

function decompress(codec: number, records: Buffer): Buffer {
  switch (codec) {
    case 0:
      return records;
    case 1:
      return gunzipSync(records);
    case 4:
      return zstdDecompressSync(records);
    default:
      throw new Error(`the test broker cannot decode records compressed with codec ${codec} (${codec === 2 ? 'snappy' : 'lz4'}); use none, gzip or zstd`);
  }
}

/** Zigzag varints inside records; plain arithmetic, so values up to 2^53 survive. */
class VarintReader {
  private at = 0;

  constructor(private readonly buffer: Buffer) {}

  skip(size: number): void {
    this.at += size;
  }

  varint(): number {
    let raw = 0;
    let scale = 1;
    for (;;) {
      if (this.at >= this.buffer.length) throw new Error('record ends inside a varint');
      const byte = this.buffer[this.at++];
      raw += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) break;
      scale *= 128;
    }
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  bytes(): Buffer | null {
    const length = this.varint();
    if (length < 0) return null;
    const value = this.buffer.subarray(this.at, this.at + length);
    this.at += length;
    return Buffer.from(value);
  }
}
