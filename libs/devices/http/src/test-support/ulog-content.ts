import { createHasher, patternBytes as noiseBytes } from '@filesync/core';

/** The 16-byte ULog header (magic `ULog 01 12 35`, version 1, timestamp 0), so Flight Review accepts the file. */
export const ULOG_HEADER = Uint8Array.of(0x55, 0x4c, 0x6f, 0x67, 0x01, 0x12, 0x35, 0x01, 0, 0, 0, 0, 0, 0, 0, 0);

/** A ULog-looking file of `size` bytes (header, then deterministic noise). */
export function ulogBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  out.set(ULOG_HEADER.subarray(0, Math.min(size, ULOG_HEADER.length)));
  if (size > ULOG_HEADER.length) out.set(noiseBytes(size - ULOG_HEADER.length, seed), ULOG_HEADER.length);
  return out;
}

/**
 * A large ULog-looking file generated as a stream (never whole in memory): a noise block of
 * `blockBytes`, varied per block so no two blocks are equal. `digest()` is the sha256 of all
 * bytes, to be called once the stream is consumed.
 */
export function ulogStream(size: number, blockBytes = 64 * 1024): { chunks: AsyncIterable<Uint8Array>; digest(): string } {
  const hasher = createHasher('sha256');
  const noise = noiseBytes(blockBytes, 7);
  async function* chunks(): AsyncIterable<Uint8Array> {
    let at = 0;
    for (let block = 0; at < size; block++) {
      const n = Math.min(blockBytes, size - at);
      const chunk = new Uint8Array(n);
      chunk.set(noise.subarray(0, n));
      // Four bytes of the block number make every block distinct.
      if (n >= 68) new DataView(chunk.buffer).setUint32(64, block, true);
      if (at === 0) chunk.set(ULOG_HEADER.subarray(0, Math.min(n, ULOG_HEADER.length)));
      hasher.update(chunk);
      at += n;
      yield chunk;
    }
  }
  let digest: string | undefined;
  return { chunks: chunks(), digest: () => (digest ??= hasher.digest()) };
}
