// The sliced CRC-32 (eight bytes per step) against the byte-at-a-time reference and the standard check value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Bytewise } from '../../oltp/rowcodec.ts';

describe('crc32', () => {
  it('gives the CRC-32 (IEEE) check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('equals the byte-at-a-time CRC over any range of any buffer, and chains through seeds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), fc.nat(), (bytes, a, b, cut) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length - start === 0 ? 0 : b % (bytes.length - start + 1));
        expect(crc32(bytes, start, end)).toBe(crc32Bytewise(bytes, start, end));
        // A CRC over [start, mid) continued over [mid, end) equals the CRC over [start, end).
        const mid = start + (end === start ? 0 : cut % (end - start + 1));
        expect(crc32(bytes, mid, end, crc32(bytes, start, mid))).toBe(crc32Bytewise(bytes, start, end));
      }),
      { numRuns: 500 },
    );
  });
});
