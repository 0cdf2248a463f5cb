import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Rng } from './prng';

export const KIB = 1024;
export const MIB = 1024 * KIB;

/**
 * Fills an FTP camera's root before its simulator starts (it leaves a non-empty root alone): `count`
 * files whose sizes the seed chooses, from empty to `maxBytes`, a few of them larger than one
 * checkpoint so that a restart from byte 0 costs more than the promise allows and shows in the counters.
 * Content is random: the manifest is taken from the files, so only sizes and names need to replay.
 */
export async function writeCameraFiles(root: string, count: number, maxBytes: number, rng: Rng): Promise<number> {
  let total = 0;
  for (let i = 0; i < count; i++) {
    const big = i % 4 === 0;
    const size = i === 1 ? 0 : big ? rng.int(Math.min(maxBytes, 2 * MIB), maxBytes) : rng.int(1, 600 * KIB);
    const path = join(root, 'dcim', String(i % 3), `IMG_${String(i).padStart(4, '0')}.${big ? 'mp4' : 'jpg'}`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, randomBytes(size));
    total += size;
  }
  return total;
}

/**
 * Fills a local source's directory before the manifest is taken: `count` files of random content, sizes
 * drawn between `minBytes` and `maxBytes` (only sizes and names need to replay from the seed).
 */
export async function writeLocalFiles(root: string, files: { readonly count: number; readonly minBytes: number; readonly maxBytes: number }, rng: Rng): Promise<number> {
  let total = 0;
  for (let i = 0; i < files.count; i++) {
    const size = rng.int(files.minBytes, files.maxBytes);
    const path = join(root, 'video', `CLIP_${String(i).padStart(4, '0')}.mp4`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, randomBytes(size));
    total += size;
  }
  return total;
}
