import { readdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import SonicBoom from 'sonic-boom';
import type { LogStream } from './resilient-log-file';

export interface RollingLogOptions {
  /** `…/filesync.log` is written as `filesync.1.log`, `filesync.2.log`, … */
  readonly file: string;
  /** A file is closed once it holds this many bytes, and the next number begins. */
  readonly maxBytes: number;
  /** Older files kept beside the one being written. */
  readonly keep: number;
}

/** The numbers of `file`'s rolled files in its folder. */
async function numbersOnDisk(file: string): Promise<number[]> {
  const ext = extname(file);
  const stem = basename(file, ext);
  const numbers: number[] = [];
  for (const name of await readdir(dirname(file)).catch(() => [] as string[])) {
    if (!name.startsWith(`${stem}.`) || !name.endsWith(ext)) continue;
    const n = name.slice(stem.length + 1, name.length - ext.length);
    if (/^[1-9]\d{0,9}$/.test(n)) numbers.push(Number(n));
  }
  return numbers;
}

function numbered(file: string, n: number): string {
  const ext = extname(file);
  return join(dirname(file), `${basename(file, ext)}.${n}${ext}`);
}

/**
 * The agent's log file, rolled by size, written asynchronously from the calling thread (sonic-boom).
 * After a restart it goes on with the highest number on disk, and the files beyond `keep` are removed
 * whoever wrote them: an agent restarted after every power cut must not leave a set of files behind
 * each time (pino-roll, used before, removed only the files its own process had made, and loaded
 * all of date-fns at every start for a size-only rotation).
 */
export async function openRollingLog(options: RollingLogOptions): Promise<LogStream> {
  const { file, maxBytes, keep } = options;
  let n = Math.max(1, ...(await numbersOnDisk(file)));
  let size = await stat(numbered(file, n)).then(
    (s) => s.size,
    () => 0,
  );
  if (size >= maxBytes) {
    n++;
    size = 0;
  }
  const prune = async (): Promise<void> => {
    const old = (await numbersOnDisk(file)).filter((m) => m < n - keep);
    await Promise.all(old.map((m) => unlink(numbered(file, m)).catch(() => undefined)));
  };
  const stream = new SonicBoom({ dest: numbered(file, n), mkdir: true, append: true });
  stream.on('write', (bytes: number) => {
    size += bytes;
    if (size < maxBytes) return;
    size = 0;
    n++;
    // sonic-boom waits for a write under way, then opens the new file; lines written meanwhile go there.
    stream.reopen(numbered(file, n));
    void prune();
  });
  await prune();
  return stream;
}
