export { randomInt, seededRandom as createRandom } from '@filesync/core';

/** Fills `out` with pseudo-random bytes (xorshift32, four bytes a step: fast enough for videos). */
export function fillRandom(out: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 0x9e3779b9;
  const words = Math.floor(out.length / 4);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < words; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    view.setUint32(i * 4, x >>> 0, true);
  }
  for (let i = words * 4; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
}

/** Mixes two numbers into a 32-bit seed (FNV-1a over their decimal text). */
export function mixSeed(...parts: Array<number | string>): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
