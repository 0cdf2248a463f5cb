import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const MAX_BLOCK = 4 << 20;

/**
 * Writes `count` source files below `dir`, file `i` named `name(i)` and `size(i)` bytes long: one
 * random block repeated, each file's first 8 bytes made unique (stores that deduplicate, and
 * collision checks by content, must not see two equal files). Returns their paths.
 */
export async function makeFiles(dir: string, count: number, size: number | ((i: number) => number), name: (i: number) => string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const sizeOf = typeof size === 'number' ? () => size : size;
  const largest = Array.from({ length: count }, (_, i) => sizeOf(i)).reduce((a, b) => Math.max(a, b), 0);
  const block = randomBytes(Math.max(8, Math.min(largest, MAX_BLOCK)));
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, name(i));
    const bytes = sizeOf(i);
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(path, 'w');
    for (let at = 0; at < bytes; at += block.length) {
      let piece = block.subarray(0, Math.min(block.length, bytes - at));
      if (at === 0 && piece.length >= 8) {
        piece = Buffer.from(piece);
        piece.writeBigUInt64LE(BigInt(i * 7919 + 1), 0);
      }
      await fh.write(piece, 0, piece.length, at);
    }
    await fh.close();
    paths.push(path);
  }
  return paths;
}
