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
 * Mounts a tmpfs of `bytes` in a new temp directory. Mounting needs root; elsewhere the answer is
 * undefined and the tests that need it are skipped — except where FILESYNC_REQUIRE_SMALL_DISK=1 (CI sets
 * it), so that a CI machine that cannot mount fails instead of skipping them unseen.
 */
export function mountSmallDisk(bytes: number): SmallDisk | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'fs-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (process.env['FILESYNC_REQUIRE_SMALL_DISK'] === '1') {
      const why = String((err as { stderr?: Buffer }).stderr ?? err).trim();
      throw new Error(`FILESYNC_REQUIRE_SMALL_DISK=1 but a tmpfs cannot be mounted (${why}): the full-disk tests need root`);
    }
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
