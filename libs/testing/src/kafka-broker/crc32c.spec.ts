import { crc32c } from './crc32c';

describe('crc32c', () => {
  // Check values from RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check string.
  it.each([
    ['123456789', Buffer.from('123456789'), 0xe3069283],
    ['32 zero bytes', Buffer.alloc(32, 0x00), 0x8a9136aa],
    ['32 0xff bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
    ['32 ascending bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
    ['32 descending bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
    ['empty input', Buffer.alloc(0), 0x00000000],
  ])('should compute the Castagnoli checksum of %s', (_name, input, expected) => {
    expect(crc32c(input)).toBe(expected);
  });
});
