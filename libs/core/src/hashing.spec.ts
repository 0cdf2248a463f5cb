import { describe, expect, it } from 'vitest';
import { createHasher, hashBytes } from './hashing';

const check = new TextEncoder().encode('123456789');

describe('hashes', () => {
  it('computes the MAVLink/PX4 CRC-32 variant (check value 0x2DFD2D88), not zlib’s', () => {
    expect(hashBytes('mavlink-crc32', check)).toBe('2dfd2d88');
    expect(hashBytes('crc32', check)).toBe('cbf43926');
    expect(hashBytes('mavlink-crc32', new Uint8Array())).toBe('00000000');
  });

  it('gives the same CRC when fed in pieces', () => {
    const h = createHasher('mavlink-crc32');
    h.update(check.subarray(0, 4));
    h.update(check.subarray(4));
    expect(h.digest()).toBe('2dfd2d88');
  });

  it('computes sha256', () => {
    expect(hashBytes('sha256', check)).toBe('15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225');
  });
});
