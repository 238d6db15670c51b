import { randomBytes } from 'node:crypto';
import { kafkaCrc32c } from './kafkajs-crc32c';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' own sum, the reference
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;

describe('kafkaCrc32c', () => {
  it('is CRC-32C: the check value, and kafkajs own sum on random batches of every size', () => {
    expect(kafkaCrc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(kafkaCrc32c(Buffer.alloc(0))).toBe(0);
    for (const size of [1, 3, 15, 16, 17, 255, 1500, 65_537]) {
      const batch = randomBytes(size);
      expect(kafkaCrc32c(batch)).toBe(kafkajsCrc32c(batch));
    }
  });
});
