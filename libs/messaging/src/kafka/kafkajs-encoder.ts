import { isInt32, sizeOfUVarInt32, writeUVarInt32, zigZag32 } from './kafka-varint';

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
    this.offset = writeUVarInt32(this.buf, this.offset, value);
    return this;
  };

  // A varlong whose value fits 32 bits: its zig-zag form fits an unsigned 32-bit integer, no Long needed.
  proto.writeVarLong = function writeVarLong(this: EncoderLike, value: unknown): EncoderLike {
    if (!isInt32(value)) return originalWriteVarLong.call(this, value);
    return this.writeUVarInt(zigZag32(value));
  };

  Encoder.sizeOfVarLong = (value: unknown): number => (isInt32(value) ? sizeOfUVarInt32(zigZag32(value)) : originalSizeOfVarLong(value));

  proto[PATCHED] = true;
  return true;
}
