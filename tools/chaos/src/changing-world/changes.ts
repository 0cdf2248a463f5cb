import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { sha256File } from '../manifest';
import type { Rng } from '../prng';
import type { SourceInfo } from '../world';
// A ULog header, so that a `.ulg` the world writes is one Flight Review accepts (as flight.ts does).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ulogHeader } from '../../../../simulators/px4/sd-card';
import { type SourceVersion, type VersionCause, type VersionLedger, versionKey } from './versions';

const run = promisify(execFile);

/** Content for a source file: random bytes, a ULog header first for a `.ulg` (Flight Review checks it). */
export function contentFor(path: string, size: number): Buffer {
  const head = path.endsWith('.ulg') ? ulogHeader(BigInt(Date.now()) * 1000n) : Buffer.alloc(0);
  return Buffer.concat([head, randomBytes(Math.max(0, size - head.length))]);
}

/**
 * The world's changes to source files. Each is atomic at the path (a temp file renamed over it, or a
 * write into the same inode), so a watcher never sees a gap of the world's making; and each first looks
 * whether the version it replaces is still there — if not, the agent removed it, and that is recorded.
 */
export class SourceChanges {
  private seq = 0;

  constructor(
    private readonly ledger: VersionLedger,
    /** A directory of the round's own, on the sources' filesystem, for temp files. */
    private readonly tmpDir: string,
  ) {}

  private root(source: SourceInfo): string {
    return source.dirs[0]!;
  }

  /** Records the current version gone if its file is no longer the one the world wrote. */
  private async confirmCurrent(source: SourceInfo, path: string): Promise<SourceVersion | undefined> {
    const key = versionKey({ source, path });
    const v = this.ledger.current(key);
    if (!v) return undefined;
    const st = await lstat(join(this.root(source), path)).catch(() => undefined);
    if (!st || st.ino !== v.ino) {
      this.ledger.markGone(key, 'world');
      return undefined;
    }
    return v;
  }

  private async atomically<T>(source: SourceInfo, path: string, change: () => Promise<T>): Promise<T> {
    const key = versionKey({ source, path });
    this.ledger.busy.add(key);
    try {
      await this.confirmCurrent(source, path);
      return await change();
    } finally {
      this.ledger.busy.delete(key);
    }
  }

  private async tmp(): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return join(this.tmpDir, `change-${this.seq++}`);
  }

  /** Writes a whole new file at `path` (new, or a rewrite under the same name), temp file renamed into place. */
  write(source: SourceInfo, path: string, size: number, cause: VersionCause): Promise<SourceVersion> {
    return this.atomically(source, path, async () => {
      const file = join(this.root(source), path);
      const tmp = await this.tmp();
      await writeFile(tmp, contentFor(path, size));
      await mkdir(dirname(file), { recursive: true });
      await rename(tmp, file);
      const st = await lstat(file);
      return this.ledger.add({ source, path, cause, kind: 'stable', sha256: await sha256File(file), size: st.size, ino: st.ino, writtenAt: Date.now() });
    });
  }

  /**
   * Other bytes of the same size written into the same file, then its mtime set back (utimes): size and
   * mtime say nothing changed. Undefined if the file is not the world's current version any more.
   */
  replaceSameSizeAndMtime(source: SourceInfo, path: string): Promise<SourceVersion | undefined> {
    return this.atomically(source, path, async () => {
      const was = this.ledger.current(versionKey({ source, path }));
      if (!was || was.kind !== 'stable' || was.size === 0) return undefined;
      const file = join(this.root(source), path);
      const before = await lstat(file);
      const handle = await open(file, 'r+');
      try {
        await handle.write(contentFor(path, was.size), 0, was.size, 0);
      } finally {
        await handle.close();
      }
      await utimes(file, before.atime, before.mtime);
      return this.ledger.add({ source, path, cause: 'same-size-mtime', kind: 'stable', sha256: await sha256File(file), size: was.size, ino: before.ino, writtenAt: Date.now() });
    });
  }

  /** A listed file swapped for a FIFO, or for a symlink to `outside` (a file not on the source; unused for a FIFO). */
  swap(source: SourceInfo, path: string, kind: 'fifo' | 'symlink', outside: string): Promise<SourceVersion> {
    return this.atomically(source, path, async () => {
      const file = join(this.root(source), path);
      const tmp = await this.tmp();
      if (kind === 'fifo') await run('mkfifo', [tmp]);
      else await symlink(outside, tmp);
      await rename(tmp, file);
      const st = await lstat(file);
      return this.ledger.add({ source, path, cause: kind, kind, sha256: `(${kind})`, size: 0, ino: st.ino, writtenAt: Date.now() });
    });
  }

  /**
   * A file written as a logger writes it: created, appended to every few hundred ms for `durationMs`
   * through one open handle, then closed. If someone deletes it meanwhile, the writer goes on into the
   * unlinked file, as a real one would: everything it wrote is the version lost.
   */
  async grow(source: SourceInfo, path: string, durationMs: number, rng: Rng): Promise<SourceVersion> {
    const file = join(this.root(source), path);
    await mkdir(dirname(file), { recursive: true });
    const key = versionKey({ source, path });
    await this.confirmCurrent(source, path);
    await rm(file, { force: true });
    const handle = await open(file, 'wx');
    const st = await handle.stat();
    const version = this.ledger.add({ source, path, cause: 'grown', kind: 'growing', sha256: '(growing)', size: 0, ino: st.ino, writtenAt: Date.now(), grown: Buffer.alloc(0) });
    const until = Date.now() + durationMs;
    try {
      for (let record = 0; record < 10_000 && Date.now() < until; record++) {
        const line = Buffer.from(`${new Date().toISOString()} record ${record} ${randomBytes(rng.int(200, 1500)).toString('hex')}\n`);
        await handle.write(line);
        version.grown = Buffer.concat([version.grown ?? Buffer.alloc(0), line]);
        await sleep(rng.int(100, 250));
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    version.size = version.grown?.length ?? 0;
    version.sha256 = createHash('sha256').update(version.grown ?? Buffer.alloc(0)).digest('hex');
    // Closed: from now on it is a file like any other, and must be delivered whole.
    if (!version.end) {
      version.kind = 'stable';
      const now = await lstat(file).catch(() => undefined);
      if (!now || now.ino !== version.ino) this.ledger.markGone(key, 'world');
    }
    return version;
  }
}
