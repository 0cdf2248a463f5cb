import { execFile } from 'node:child_process';
import { mkdir, open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHUNK = Buffer.alloc(1024 * 1024);

/**
 * A file system of its own for the agent's data directory — a tmpfs of a set size — so that a scenario
 * can fill it the way another program fills a companion computer's SD card: the agent's next write to
 * staging fails with a real ENOSPC, its catalog's with SQLITE_FULL, and a download waiting for space sees
 * the disk's own free space, not a quota.
 */
export interface DataDisk {
  /** The mount point; the agent's data directory is a folder in it, the filler sits beside that. */
  readonly mountPoint: string;
  /** Takes all but about `leaveBytes` of the free space (less if the agent writes meanwhile); the bytes taken. */
  fill(leaveBytes: number): Promise<number>;
  /** Gives the space back. */
  empty(): Promise<void>;
  unmount(): Promise<void>;
}

/**
 * Mounts a tmpfs of `bytes` at `mountPoint`. Mounting needs root (CI runs as root); elsewhere the answer
 * is the reason it could not, and the scenario goes on without filling the disk.
 */
export async function mountDataDisk(mountPoint: string, bytes: number): Promise<DataDisk | string> {
  await mkdir(mountPoint, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', mountPoint]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    return `cannot mount a ${bytes}-byte tmpfs for the agent's data at ${mountPoint} (${stderr || String(err)}); run as root to fill its disk`;
  }
  const filler = join(mountPoint, 'filler');
  let mounted = true;
  return {
    mountPoint,
    async fill(leaveBytes) {
      const fs = await statfs(mountPoint);
      const want = Math.max(0, fs.bavail * fs.bsize - leaveBytes);
      const handle = await open(filler, 'a');
      let taken = 0;
      try {
        for (let i = 0; i < 1 + want / CHUNK.length && taken < want; i++) {
          const n = Math.min(CHUNK.length, want - taken);
          try {
            taken += (await handle.write(CHUNK, 0, n)).bytesWritten;
          } catch (err) {
            // The agent took some of it first: the disk is as full as it gets.
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
    async unmount() {
      if (!mounted) return;
      // Lazy: a process still holding a file in it (an agent being killed) cannot keep the mount alive.
      await run('umount', ['-l', mountPoint]);
      mounted = false;
    },
  };
}
