import { randomBytes } from 'node:crypto';
import Module from 'node:module';
import { installKafkajsCrc32c, kafkaCrc32c } from './kafkajs-crc32c';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' own sum, the reference
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;

const resolve = (id: string): string => `/fake/node_modules/${id}.js`;

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

describe('installKafkajsCrc32c', () => {
  it('puts the sum in the require cache under kafkajs path, once', () => {
    const cache: NodeJS.Dict<NodeJS.Module> = {};
    expect(installKafkajsCrc32c(cache, resolve)).toBe('installed');
    const installed = cache[resolve('kafkajs/src/protocol/recordBatch/crc32C')];
    expect(installed?.exports).toBe(kafkaCrc32c);
    expect(installed?.loaded).toBe(true);
    expect(installKafkajsCrc32c(cache, resolve)).toBe('already');
  });

  it('leaves kafkajs alone once its record batch code is loaded', () => {
    const cache: NodeJS.Dict<NodeJS.Module> = { [resolve('kafkajs/src/protocol/recordBatch/v0')]: new Module('v0') };
    expect(installKafkajsCrc32c(cache, resolve)).toBe('too-late');
    expect(cache[resolve('kafkajs/src/protocol/recordBatch/crc32C')]).toBeUndefined();
  });
});
