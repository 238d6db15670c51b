// Big-endian primitives of the Kafka protocol's non-flexible versions (the only ones this broker
// speaks): fixed-width integers, int16-length strings, int32-length bytes and arrays.

/** A request that cannot be decoded; the broker logs it and closes the connection. */
export class MalformedRequestError extends Error {
  override readonly name = 'MalformedRequestError';
}

export class WireReader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  private take(size: number): number {
    if (size < 0 || this.offset + size > this.buffer.length) {
      throw new MalformedRequestError(`request ends early: needed ${size} bytes at offset ${this.offset} of ${this.buffer.length}`);
    }
    const at = this.offset;
    this.offset += size;
    return at;
  }

  int8(): number {
    return this.buffer.readInt8(this.take(1));
  }

  int16(): number {
    return this.buffer.readInt16BE(this.take(2));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.take(4));
  }

  /** An int64 as a number: offsets, timestamps and producer ids here stay far below 2^53. */
  int64(): number {
    return Number(this.buffer.readBigInt64BE(this.take(8)));
  }

  boolean(): boolean {
    return this.int8() !== 0;
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    const at = this.take(length);
    return this.buffer.toString('utf8', at, at + length);
  }

  string(): string {
    const value = this.nullableString();
    if (value === null) throw new MalformedRequestError('a non-nullable string was null');
    return value;
  }

  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    const at = this.take(length);
    return this.buffer.subarray(at, at + length);
  }

  bytes(): Buffer {
    return this.nullableBytes() ?? Buffer.alloc(0);
  }

  /** An array; null (length -1) reads as null. */
  nullableArray<T>(readItem: (reader: WireReader) => T): T[] | null {
    const length = this.int32();
    if (length === -1) return null;
    if (length < -1 || length > this.remaining) throw new MalformedRequestError(`implausible array length ${length}`);
    const items: T[] = [];
    for (let i = 0; i < length; i++) items.push(readItem(this));
    return items;
  }

  array<T>(readItem: (reader: WireReader) => T): T[] {
    return this.nullableArray(readItem) ?? [];
  }
}

export class WireWriter {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  private push(chunk: Buffer): this {
    this.chunks.push(chunk);
    this.size += chunk.length;
    return this;
  }

  int8(value: number): this {
    const chunk = Buffer.alloc(1);
    chunk.writeInt8(value);
    return this.push(chunk);
  }

  int16(value: number): this {
    const chunk = Buffer.alloc(2);
    chunk.writeInt16BE(value);
    return this.push(chunk);
  }

  int32(value: number): this {
    const chunk = Buffer.alloc(4);
    chunk.writeInt32BE(value);
    return this.push(chunk);
  }

  int64(value: number): this {
    const chunk = Buffer.alloc(8);
    chunk.writeBigInt64BE(BigInt(value));
    return this.push(chunk);
  }

  boolean(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  nullableString(value: string | null): this {
    if (value === null) return this.int16(-1);
    const encoded = Buffer.from(value, 'utf8');
    return this.int16(encoded.length).push(encoded);
  }

  string(value: string): this {
    return this.nullableString(value);
  }

  nullableBytes(value: Buffer | null): this {
    if (value === null) return this.int32(-1);
    return this.int32(value.length).push(value);
  }

  bytes(value: Buffer): this {
    return this.nullableBytes(value);
  }

  /** Bytes written as they are, with no length prefix (a RECORDS field after its own size). */
  raw(value: Buffer): this {
    return this.push(value);
  }

  array<T>(items: readonly T[], writeItem: (writer: this, item: T, index: number) => void): this {
    this.int32(items.length);
    items.forEach((item, index) => writeItem(this, item, index));
    return this;
  }

  get length(): number {
    return this.size;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}
