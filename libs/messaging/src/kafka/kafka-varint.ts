/**
 * Kafka's varints (LEB128 of a zig-zagged 32-bit value), written straight into a buffer: shared by
 * the kafkajs Encoder patch (kafkajs-encoder.ts) and the record encoder (kafkajs-record.ts).
 */

/** A number both can write without kafkajs' Long: an integer in the signed 32-bit range. */
export function isInt32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= -2_147_483_648 && value <= 2_147_483_647;
}

/** Zig-zag of a 32-bit signed integer as an unsigned 32-bit number (kafkajs' encodeZigZag; what Long's 64-bit zig-zag gives for it). */
export function zigZag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

/** Bytes of the unsigned varint of `value` (an unsigned 32-bit number). */
export function sizeOfUVarInt32(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    bytes += 1;
    value = Math.floor(value / 128);
  }
  return bytes;
}

/** Writes the unsigned varint of `value` (an unsigned 32-bit number) at `offset`; returns the offset after it. The same loop as kafkajs'. */
export function writeUVarInt32(buf: Buffer, offset: number, value: number): number {
  while ((value & 0xffffff80) !== 0) {
    buf[offset++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[offset++] = value & 0x7f;
  return offset;
}
