import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { open, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHUNK = Buffer.alloc(1024 * 1024);

/**
 * A real small file system (a tmpfs), to see what a full disk does to a writer: the unit tests' few
 * hundred KiB, or the disk the chaos suite gives the agent's data directory. Its filler stands for
 * another program taking the space.
 */
export interface SmallDisk {
  readonly dir: string;
  /**
   * Takes all the free space but about `leaveBytes` (tmpfs counts whole 4 KiB pages), less if a writer
   * takes some meanwhile; answers the bytes taken. A filler from before is deleted first.
   */
  fillLeaving(leaveBytes: number): Promise<number>;
  /** Deletes the filler: the space is back. */
  empty(): Promise<void>;
  /** Unmounts (lazily: a process still holding a file cannot keep it) and deletes the mount point. */
  remove(): void;
}

/**
 * Mounts a tmpfs of `bytes` at `at` (made if missing), or in a new temp directory. Mounting needs root;
 * elsewhere the answer is undefined and what needs the disk does without it — except where
 * FILESYNC_REQUIRE_SMALL_DISK=1 (CI sets it), so that a CI machine that cannot mount fails instead of
 * skipping those tests, or running a quieter chaos round, unseen.
 */
export function mountSmallDisk(bytes: number, at?: string): SmallDisk | undefined {
  const dir = at ?? mkdtempSync(join(tmpdir(), 'fs-small-disk-'));
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (process.env['FILESYNC_REQUIRE_SMALL_DISK'] === '1') {
      const why = String((err as { stderr?: Buffer }).stderr ?? err).trim();
      throw new Error(`FILESYNC_REQUIRE_SMALL_DISK=1 but a tmpfs cannot be mounted at ${dir} (${why}): the full-disk tests need root`);
    }
    return undefined;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    async fillLeaving(leaveBytes) {
      await rm(filler, { force: true });
      const fs = await statfs(dir);
      const want = Math.max(0, fs.bavail * fs.bsize - leaveBytes);
      const handle = await open(filler, 'w');
      let taken = 0;
      try {
        for (let i = 0; i < 1 + want / CHUNK.length && taken < want; i++) {
          try {
            taken += (await handle.write(CHUNK, 0, Math.min(CHUNK.length, want - taken))).bytesWritten;
          } catch (err) {
            // A writer took some of it first: the disk is as full as it gets.
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw err;
          }
        }
      } finally {
        await handle.close();
      }
      return taken;
    },
    empty: () => rm(filler, { force: true }),
    remove() {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
