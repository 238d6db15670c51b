/**
 * kafkajs 2.2.4 (its last release) encodes every varint of a record through a fresh array and a
 * `Buffer.from` of it, every varlong (each record's timestamp delta) through half a dozen `Long`
 * objects, and grows its buffers with zero-filled `Buffer.alloc` although it never reads past what
 * it wrote. A Produce request of a few dozen `llm.call` events thus allocated ~12 KB per event and
 * kafkajs was ~10% of the gateway's CPU at 1,000 calls/s (bench:gateway --profile, heap sampling).
 * This writes the same bytes in place: `kafkajs-encoder.spec.ts` checks them against kafkajs' own
 * methods over the edge cases and a produce/consume round trip through the test broker.
 * A hand-written encoder (not a package) because kafkajs has no hook for one; the methods replaced
 * here are the ones its protocol code calls through `this` or `Encoder.` at call time.
 */

interface EncoderLike {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): EncoderLike;
  writeVarLong(value: unknown): EncoderLike;
}

interface EncoderClass {
  prototype: EncoderLike & { [PATCHED]?: true };
  nextPowerOfTwo(value: number): number;
  sizeOfVarLong(value: unknown): number;
}

const PATCHED = Symbol.for('tollgate.kafkajs.encoderPatched');
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** A varlong whose value fits 32 bits: its zig-zag form fits an unsigned 32-bit integer, no Long needed. */
function smallLong(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

/** Zig-zag of a 32-bit signed value as an unsigned 32-bit number (what Long's 64-bit zig-zag gives for it). */
function zigZag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

/** The kafkajs Encoder class, as its protocol modules require it. */
export function kafkajsEncoder(): EncoderClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs has no public handle on its encoder
  return require('kafkajs/src/protocol/encoder') as EncoderClass;
}

/** Applies the in-place encoding to kafkajs' Encoder once per process; false if it already was. */
export function patchKafkajsEncoder(): boolean {
  const Encoder = kafkajsEncoder();
  const proto = Encoder.prototype;
  if (proto[PATCHED]) return false;
  const originalWriteVarLong = proto.writeVarLong;
  const originalSizeOfVarLong = Encoder.sizeOfVarLong.bind(Encoder);

  proto.ensureAvailable = function ensureAvailable(this: EncoderLike, length: number): void {
    if (this.offset + length <= this.buf.length) return;
    // allocUnsafe: only buf[0, offset) is ever read (the `buffer` getter slices to it).
    const grown = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };

  // The same loop as kafkajs' (LEB128 of the low 32 bits), written into the buffer.
  proto.writeUVarInt = function writeUVarInt(this: EncoderLike, value: number): EncoderLike {
    this.ensureAvailable(5);
    const buf = this.buf;
    let offset = this.offset;
    while ((value & 0xffffff80) !== 0) {
      buf[offset++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[offset++] = value & 0x7f;
    this.offset = offset;
    return this;
  };

  proto.writeVarLong = function writeVarLong(this: EncoderLike, value: unknown): EncoderLike {
    if (!smallLong(value)) return originalWriteVarLong.call(this, value);
    return this.writeUVarInt(zigZag32(value));
  };

  Encoder.sizeOfVarLong = (value: unknown): number => {
    if (!smallLong(value)) return originalSizeOfVarLong(value);
    let encoded = zigZag32(value);
    let bytes = 1;
    while (encoded >= 0x80) {
      bytes += 1;
      encoded = Math.floor(encoded / 128);
    }
    return bytes;
  };

  proto[PATCHED] = true;
  return true;
}
