import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const MiB = 1 << 20;

/** Writes `count` files of `size` bytes: one random block, each file's first 8 bytes made unique. */
export async function makeFiles(dir: string, count: number, size: number, name: (i: number) => string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const block = randomBytes(Math.min(size, 4 * MiB));
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, name(i));
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(path, 'w');
    for (let at = 0; at < size; at += block.length) {
      const piece = block.subarray(0, Math.min(block.length, size - at));
      if (at === 0) piece.writeBigUInt64LE(BigInt(i * 7919 + 1), 0);
      await fh.write(piece, 0, piece.length, at);
    }
    await fh.close();
    paths.push(path);
  }
  return paths;
}

/** Files and bytes that arrived below a directory on the server's disk (temp names excluded). */
export async function arrived(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (!e.isFile() || e.name.endsWith('.part')) continue;
    files++;
    bytes += (await stat(join(e.parentPath, e.name))).size;
  }
  return { files, bytes };
}
