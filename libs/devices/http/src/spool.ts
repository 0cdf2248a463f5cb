import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A POST that was started and whose outcome this target never learned (crash, lost answer). */
export interface PendingAttempt {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  readonly startedAt: number;
}

/** The in-transit copy's record. `size`/`sha256` are null while `write` is still filling it. */
export interface SpoolMeta {
  readonly path: string;
  readonly size: number | null;
  readonly sha256: string | null;
  readonly pending: readonly PendingAttempt[];
}

/** The receipt of a finished upload, kept so a repeated commit answers `already-present`. */
export interface DoneRecord {
  readonly path: string;
  readonly url: string;
  readonly size: number;
  readonly sha256: string;
  readonly at: number;
}

/**
 * The target's own durable state, one set of files per path in `dir`, named by a hash of the path
 * (no directories to create, no traversal): `.data` (the in-transit copy), `.meta.json`, `.done.json`.
 * JSON records are replaced atomically (write, fsync, rename, fsync dir), so a crash leaves the old
 * record or the new one.
 */
export class Spool {
  constructor(private readonly dir: string) {}

  private stem(path: string): string {
    return join(this.dir, createHash('sha256').update(path).digest('hex').slice(0, 32));
  }

  dataPath(path: string): string {
    return `${this.stem(path)}.data`;
  }

  async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  readMeta(path: string): Promise<SpoolMeta | undefined> {
    return readJson<SpoolMeta>(`${this.stem(path)}.meta.json`);
  }

  writeMeta(meta: SpoolMeta): Promise<void> {
    return this.writeJson(`${this.stem(meta.path)}.meta.json`, meta);
  }

  readDone(path: string): Promise<DoneRecord | undefined> {
    return readJson<DoneRecord>(`${this.stem(path)}.done.json`);
  }

  writeDone(done: DoneRecord): Promise<void> {
    return this.writeJson(`${this.stem(done.path)}.done.json`, done);
  }

  /** Drops the in-transit copy and its record (pending attempts included). */
  async discard(path: string): Promise<void> {
    await rm(`${this.stem(path)}.meta.json`, { force: true });
    await rm(this.dataPath(path), { force: true });
  }

  private async writeJson(file: string, value: unknown): Promise<void> {
    const tmp = `${file}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(value));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    await fsyncDir(this.dir);
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    // A missing record is normal; a torn one cannot happen (atomic rename) but is treated as missing.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Makes a rename in `dir` durable (POSIX: the directory entry is data of the directory). */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
