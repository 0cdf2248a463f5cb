import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real file system of a few hundred KiB, to see what a full disk does to a writer. */
export interface SmallDisk {
  readonly dir: string;
  /** Takes all the free space but `leaveBytes` (tmpfs counts whole 4 KiB pages). */
  fillLeaving(leaveBytes: number): Promise<void>;
  remove(): void;
}

/**
 * Mounts a tmpfs of `bytes` in a new temp directory. Mounting needs root (CI has it); elsewhere the
 * answer is undefined and the tests that need it are skipped.
 */
export function mountSmallDisk(bytes: number): SmallDisk | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'fs-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    async fillLeaving(leaveBytes) {
      await rm(filler, { force: true });
      const fs = await statfs(dir);
      await writeFile(filler, new Uint8Array(Math.max(0, fs.bavail * fs.bsize - leaveBytes)));
    },
    remove() {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
