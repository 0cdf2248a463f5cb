import { describe, expect, it } from 'vitest';
import { px4Crc32 } from './px4-crc32';

/**
 * PX4's `crc32part` as its C code computes it: a reflected byte-wise table for 0xEDB88320, the
 * running value starting at 0 and never inverted. Re-derived here bit by bit so the library
 * variant is proven against the algorithm, not against itself.
 */
function crc32partReference(bytes: Uint8Array, crc = 0): number {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  let v = crc >>> 0;
  for (const b of bytes) v = (table[(v ^ b) & 0xff]! ^ (v >>> 8)) >>> 0;
  return v >>> 0;
}

describe('PX4 CRC-32 (CalcFileCRC32)', () => {
  it('gives 0x2DFD2D88 for "123456789", not zlib’s 0xCBF43926', () => {
    const v = new TextEncoder().encode('123456789');
    expect(px4Crc32(v)).toBe(0x2dfd2d88);
    expect(crc32partReference(v)).toBe(0x2dfd2d88);
  });

  it('gives 0 for an empty file', () => {
    expect(px4Crc32(new Uint8Array())).toBe(0);
  });

  it('matches the reference over random files, including when fed in PX4’s 256-byte steps', () => {
    let seed = 12345;
    for (let n = 0; n < 20; n++) {
      const len = (n * 997) % 5000;
      const bytes = new Uint8Array(len);
      for (let i = 0; i < len; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        bytes[i] = seed >>> 24;
      }
      let stepped = 0;
      for (let at = 0; at < len; at += 256) stepped = crc32partReference(bytes.subarray(at, at + 256), stepped);
      expect(px4Crc32(bytes)).toBe(crc32partReference(bytes));
      expect(stepped).toBe(crc32partReference(bytes));
    }
  });
});
