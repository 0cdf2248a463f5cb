import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { patternBytes } from '@filesync/core';

/** What a drone's ground FTP drop box holds: flight logs, thermal/visible images, a video. */
const CONTENT: ReadonlyArray<readonly [string, number]> = [
  ['logs/2026-11-24/10_21_07.ulg', 1_200_000],
  ['logs/2026-11-24/11_02_44.ulg', 640_000],
  ['images/FLIR0001.jpg', 180_000],
  ['images/FLIR0001_visible.jpg', 420_000],
  ['images/FLIR0002.jpg', 175_000],
  ['videos/FLIR0003.mp4', 2_500_000],
];

/** Fills an empty root with realistic content (ARCHITECTURE conventions); a non-empty root is left alone. */
export async function seedRoot(root: string): Promise<boolean> {
  await mkdir(root, { recursive: true });
  if ((await readdir(root)).length > 0) return false;
  let seed = 7;
  for (const [path, size] of CONTENT) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), patternBytes(size, seed++));
  }
  await writeFile(join(root, 'README.txt'), 'Files left by the drone for pick-up.\n');
  return true;
}
