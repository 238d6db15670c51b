import { replaceKafkajsModule } from './kafkajs-module';
import type { KafkajsModuleInstall } from './kafkajs-module';

/**
 * Every record batch kafkajs produces carries a CRC-32C of the whole batch, and kafkajs computes it
 * a byte at a time (~2.3 ns per byte here): ~4 µs of the gateway's main thread per 1.5 KB
 * `llm.call` event, about 40% of what encoding a Produce request still cost per event after the
 * encoder fix in kafkajs-encoder.ts. SheetJS' crc-32 (slicing by 16, plain JavaScript, no native binary)
 * does the same sum in ~0.55 ns per byte (both measured on this repo's bench machine, 60 KB
 * batches). kafkajs has no setting for it: its record batch module takes `../crc32C` when it is
 * first required (at the first produce or fetch), so the module is put in Node's require cache
 * under kafkajs' own path before that happens.
 */

const CRC_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C';
const RECORD_BATCH_MODULE = 'kafkajs/src/protocol/recordBatch/v0';

interface Crc32cLibrary {
  buf(data: Uint8Array, seed?: number): number;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- crc-32 types only its CRC-32 entry; crc32c has the same API
const crc32cLibrary = require('crc-32/crc32c') as Crc32cLibrary;

/** CRC-32C of `buffer` as an unsigned 32-bit number: what kafkajs' crc32C module returns. */
export function kafkaCrc32c(buffer: Uint8Array): number {
  return crc32cLibrary.buf(buffer) >>> 0;
}

/**
 * Puts kafkaCrc32c in place of kafkajs' CRC-32C module, before kafkajs' record batch code first
 * requires it (see replaceKafkajsModule). `too-late` once that code is loaded: kafkajs then keeps
 * its own sum, the same result, slower.
 */
export function installKafkajsCrc32c(cache?: NodeJS.Dict<NodeJS.Module>, resolve?: (id: string) => string): KafkajsModuleInstall {
  return replaceKafkajsModule(CRC_MODULE, kafkaCrc32c, [RECORD_BATCH_MODULE], cache, resolve);
}
