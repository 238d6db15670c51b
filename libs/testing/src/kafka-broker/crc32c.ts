// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of a v2 record batch.
// Node's zlib.crc32 is the other polynomial (IEEE), so it cannot stand in. SheetJS' crc-32 (the
// one the gateway's kafkajs uses too, see libs/messaging kafkajs-crc32c.ts) sums ~4× faster than
// a byte-at-a-time table: the broker checks every batch, and in bench:gateway it shares the CPUs.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- crc-32 types only its CRC-32 entry; crc32c has the same API
const library = require('crc-32/crc32c') as { buf(data: Uint8Array, seed?: number): number };

/** The CRC-32C of `bytes`, as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  return library.buf(bytes) >>> 0;
}
