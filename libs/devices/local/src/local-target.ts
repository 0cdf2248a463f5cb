import { dirname, join } from 'node:path';
import {
  type CollisionPolicy,
  type CommitReceipt,
  type ExpectedContent,
  type FsCalls,
  MAX_COLLISION_SUFFIX,
  PermanentError,
  type ReadOptions,
  type Target,
  TransientError,
  collisionName,
  inTransitPath,
  isFilesyncError,
  nodeFsCalls,
  normalizeSourcePath,
  writeFully,
} from '@filesync/core';
import { classified, classify } from './errors';
import { fsyncParent } from './durable-fs';
import { hashFile } from './hash-file';
import { readChunks } from './read-chunks';
import { RunningHashes, writeHashing } from './running-hashes';

/**
 * The file-system calls the target makes: node's, or an in-memory one in unit tests. memfs makes
 * `sync` a no-op and never runs out of space, so durability and short writes on a full disk are
 * proven on real disks (full-disk.spec.ts, the chaos power-loss runs), as are the name-length
 * limits of real file systems (names.spec.ts).
 */
export type TargetFs = Pick<FsCalls, 'mkdir' | 'open' | 'rename' | 'stat' | 'unlink'>;

export interface LocalTargetOptions {
  readonly id: string;
  readonly dir: string;
  readonly collision: CollisionPolicy;
  readonly partSuffix?: string;
  /** node's file system unless a unit test hands in another. */
  readonly fs?: TargetFs;
}

/**
 * A write starts a datasync (not waited for) every this many bytes: the disk takes the copy while it
 * is written instead of all of it at the final sync, which for a large file was seconds of waiting.
 */
const FLUSH_BEHIND_BYTES = 8 * 1024 * 1024;

/** A local directory (or a mounted share) as a target, with `.part` + rename like the FTP target (in-transit name: `inTransitPath`). */
export function createLocalTarget(options: LocalTargetOptions): Target {
  const fs = options.fs ?? nodeFsCalls;
  async function sizeOf(file: string): Promise<number | undefined> {
    try {
      const st = await fs.stat(file);
      return st.isFile() ? st.size : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw classify(err);
    }
  }
  const suffix = options.partSuffix ?? '.part';
  const finalPath = (path: string): string => join(options.dir, normalizeSourcePath(path));
  const partPath = (path: string): string => inTransitPath(finalPath(path), suffix);

  async function holds(file: string, expected: ExpectedContent): Promise<boolean> {
    if ((await sizeOf(file)) !== expected.size) return false;
    return (await hashFile(file, { fs })) === expected.sha256;
  }

  /** In-transit copies hashed as they were written: their commit reads nothing back. */
  const written = new RunningHashes();

  /**
   * Whether the in-transit copy of `path` (`size` bytes on disk) is `expected`: by the hash taken as it
   * was written when that covers all of it, else read back. The size on disk guards the running
   * hash against a copy changed behind our back.
   */
  async function partHolds(path: string, size: number, expected: ExpectedContent): Promise<boolean> {
    const sha256 = written.digestOf(path, size);
    if (sha256 === undefined) return holds(partPath(path), expected);
    return size === expected.size && sha256 === expected.sha256;
  }

  /** Where a previous commit of this content may have put it: the name itself or a suffixed one. */
  async function findCommitted(path: string, expected: ExpectedContent): Promise<string | undefined> {
    if (await holds(finalPath(path), expected)) return path;
    if (options.collision !== 'rename') return undefined;
    for (let n = 1; n <= MAX_COLLISION_SUFFIX; n++) {
      const candidate = collisionName(path, n);
      if ((await sizeOf(finalPath(candidate))) === undefined) return undefined;
      if (await holds(finalPath(candidate), expected)) return candidate;
    }
    return undefined;
  }

  async function moveIntoPlace(path: string, location: string, outcome: CommitReceipt['outcome']): Promise<CommitReceipt> {
    await classified(() => fs.rename(partPath(path), finalPath(location)));
    await classified(() => fsyncParent(finalPath(location), fs));
    return { location, outcome };
  }

  async function freeName(path: string): Promise<string> {
    for (let n = 1; n <= MAX_COLLISION_SUFFIX; n++) {
      const candidate = collisionName(path, n);
      if ((await sizeOf(finalPath(candidate))) === undefined) return candidate;
    }
    throw new PermanentError('conflict', `no free name for ${path} after ${MAX_COLLISION_SUFFIX} tries`);
  }

  async function commitPart(path: string, expected: ExpectedContent): Promise<CommitReceipt> {
    const partSize = await sizeOf(partPath(path));
    if (partSize === undefined) {
      written.drop(path);
      const previous = await findCommitted(path, expected);
      if (previous !== undefined) return { location: previous, outcome: 'already-present' };
      throw new TransientError('conflict', `in-transit copy of ${path} is missing; upload it again`);
    }
    if (!(await partHolds(path, partSize, expected))) {
      await fs.unlink(partPath(path)).catch(() => undefined);
      throw new PermanentError('checksum-mismatch', `in-transit copy of ${path} does not match (size ${partSize}, expected ${expected.size})`, {
        detail: { size: partSize, expected: expected.size },
      });
    }
    if ((await sizeOf(finalPath(path))) === undefined) return moveIntoPlace(path, path, 'committed');
    const previous = await findCommitted(path, expected);
    if (previous !== undefined) {
      await fs.unlink(partPath(path)).catch(() => undefined);
      return { location: previous, outcome: 'already-present' };
    }
    if (options.collision === 'overwrite') return moveIntoPlace(path, path, 'committed');
    if (options.collision === 'skip') {
      await fs.unlink(partPath(path)).catch(() => undefined);
      return { location: path, outcome: 'skipped' };
    }
    return moveIntoPlace(path, await freeName(path), 'renamed');
  }

  const target = {
    id: options.id,
    // keepsNoChunk: each chunk is written (awaited) before the next is asked for.
    features: { canResume: true, atomicCommit: true, hashes: ['sha256'], parallelism: 1, keepsNoChunk: true },
    stat: async (path: string) => {
      const size = await sizeOf(finalPath(path));
      return size === undefined ? undefined : { size };
    },
    partialSize: async (path: string) => (await sizeOf(partPath(path))) ?? 0,
    write: async (path: string, offset: number, data: AsyncIterable<Uint8Array>, writeOptions?: ReadOptions) => {
      const file = partPath(path);
      await classified(() => fs.mkdir(dirname(file), { recursive: true }));
      if (offset > 0) {
        const have = (await sizeOf(file)) ?? 0;
        if (have !== offset) {
          throw new TransientError('conflict', `in-transit copy of ${path} has ${have} bytes, not ${offset}`, { detail: { have, offset } });
        }
      }
      const hasher = written.start(path, offset);
      const handle = await classified(() => fs.open(file, offset === 0 ? 'w' : 'r+'));
      /** A datasync started mid-file and not waited for: the disk writes behind us instead of all at the end. */
      let flushing: Promise<void> | undefined;
      /** Its failure, kept: Linux reports a failed writeback to a file once, so the final sync may not see it again. */
      let flushFailed: { readonly error: unknown } | undefined;
      const flushBehind = (): void => {
        const started: Promise<void> = classified(() => handle.datasync()).then(
          () => {
            if (flushing === started) flushing = undefined;
          },
          (error: unknown) => {
            flushFailed ??= { error };
            if (flushing === started) flushing = undefined;
          },
        );
        flushing = started;
      };
      try {
        let position = offset;
        let unflushed = 0;
        for await (const chunk of data) {
          writeOptions?.signal?.throwIfAborted();
          if (flushFailed) throw flushFailed.error;
          await writeHashing(() => classified(() => writeFully(handle, chunk, position)), chunk, hasher);
          position += chunk.length;
          unflushed += chunk.length;
          if (unflushed >= FLUSH_BEHIND_BYTES && flushing === undefined) {
            unflushed = 0;
            flushBehind();
          }
        }
        await flushing;
        if (flushFailed) throw flushFailed.error;
        await classified(() => handle.sync());
        if (hasher !== undefined) written.keep(path, hasher, position);
      } finally {
        await flushing;
        await handle.close();
      }
    },
    commit: async (path: string, expected: ExpectedContent): Promise<CommitReceipt> => {
      try {
        return await commitPart(path, expected);
      } catch (err) {
        // A name this file system cannot hold (ENAMETOOLONG, EILSEQ) fails the file: no copy is left behind.
        if (isFilesyncError(err) && err.kind === 'permanent' && err.code === 'bad-request') await fs.unlink(partPath(path)).catch(() => undefined);
        throw err;
      }
    },
    read: (path: string, readOptions?: ReadOptions) =>
      readChunks(finalPath(path), 0, readOptions?.signal ? { signal: readOptions.signal, fs } : { fs }),
    remove: (path: string) => classified(() => fs.unlink(finalPath(path))),
    close: async () => undefined,
  } satisfies Target;
  return target;
}
