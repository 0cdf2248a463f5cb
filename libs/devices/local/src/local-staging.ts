import { join } from 'node:path';
import { type FsCalls, type Hasher, type Staging, type StagingSpace, type StagingWriteOptions, createHasher, hashStream, nodeFsCalls, writeFully } from '@filesync/core';
import { classified, classify } from './errors';
import { fsyncDir } from './durable-fs';
import { readChunks } from './read-chunks';

/**
 * The file-system calls staging makes: node's, or an in-memory one in unit tests. memfs answers
 * `statfs` with made-up figures and makes `datasync`/`sync` no-ops, so a unit test supplies its own
 * `statfs` (or wraps `open` to watch the flushes); the real space figures and what survives a power
 * cut are proven on real disks (local-staging.spec.ts, full-disk.spec.ts, the chaos power-loss runs).
 */
export type StagingFs = Pick<FsCalls, 'mkdir' | 'open' | 'rename' | 'stat' | 'statfs' | 'truncate' | 'unlink'>;

export interface LocalStagingOptions {
  readonly fs?: StagingFs;
}

/**
 * Files whose sha256 is kept running between `append` calls: a file downloading in slices, or one
 * left by a fault between slices. Few are in flight at once; the oldest goes past this many (its seal
 * then reads the file back).
 */
const MAX_RUNNING_HASHES = 16;

/**
 * Staging on the local disk: `<id>.part` while downloading, `<id>` once sealed. Bytes are fsynced
 * before a checkpoint is reported, so the catalog never records an offset past durable data.
 *
 * The sha256 is taken as the bytes are written, from byte 0 on, across `append` calls that go on
 * where the last one ended: `seal` then reads nothing back. A file continued from elsewhere (after a
 * restart, a truncating `resume`, a failed append) is read back and hashed whole at `seal`.
 */
export function createLocalStaging(
  dir: string,
  options: LocalStagingOptions = {},
): Staging & { readonly dir: string; pathOf(fileId: string): string; space(): Promise<StagingSpace> } {
  const fs = options.fs ?? nodeFsCalls;
  const sizeOrZero = async (file: string): Promise<number> => {
    try {
      return (await fs.stat(file)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw classify(err);
    }
  };
  const partPath = (id: string): string => join(dir, `${id}.part`);
  const sealedPath = (id: string): string => join(dir, id);
  /** The running sha256 of a partial file and the offset it covers, while its appends follow each other. */
  const running = new Map<string, { readonly hasher: Hasher; readonly position: number }>();
  const keepRunning = (fileId: string, hasher: Hasher, position: number): void => {
    running.set(fileId, { hasher, position });
    if (running.size > MAX_RUNNING_HASHES) running.delete(running.keys().next().value!);
  };
  let made = false;
  const ensureDir = async (): Promise<void> => {
    if (made) return;
    await classified(() => fs.mkdir(dir, { recursive: true }));
    made = true;
  };
  const space = async (): Promise<StagingSpace> => {
    await ensureDir();
    const st = await classified(() => fs.statfs(dir));
    return { freeBytes: st.bavail * st.bsize, totalBytes: st.blocks * st.bsize };
  };

  return {
    dir,
    pathOf: sealedPath,
    async resume(fileId, recordedOffset) {
      let have = await sizeOrZero(partPath(fileId));
      if (have === 0) {
        // Sealed but not yet recorded as staged (power cut between the two): unseal, so the download
        // goes on from its record (the whole file) instead of starting again from byte 0.
        const sealed = await sizeOrZero(sealedPath(fileId));
        if (sealed > 0) {
          await classified(() => fs.rename(sealedPath(fileId), partPath(fileId)));
          have = sealed;
        }
      }
      // Bytes past the record were written but never promised durable: drop them.
      if (have > recordedOffset) await classified(() => fs.truncate(partPath(fileId), recordedOffset));
      return Math.min(have, recordedOffset);
    },
    async append(fileId, offset, data, writeOptions: StagingWriteOptions) {
      await ensureDir();
      const file = partPath(fileId);
      const before = running.get(fileId);
      running.delete(fileId);
      const hasher = offset === 0 ? createHasher('sha256') : before?.position === offset ? before.hasher : undefined;
      const handle = await classified(() => fs.open(file, offset === 0 ? 'w' : 'r+'));
      let position = offset;
      try {
        if (offset > 0) await classified(() => handle.truncate(offset));
        let sinceBytes = 0;
        let lastSync = performance.now();
        const checkpoint = async (): Promise<void> => {
          await classified(() => handle.datasync());
          sinceBytes = 0;
          lastSync = performance.now();
          await writeOptions.onCheckpoint({ offset: position });
        };
        for await (const chunk of data) {
          writeOptions.signal?.throwIfAborted();
          await classified(() => writeFully(handle, chunk, position));
          hasher?.update(chunk);
          position += chunk.length;
          sinceBytes += chunk.length;
          if (sinceBytes >= writeOptions.checkpointBytes || performance.now() - lastSync >= writeOptions.checkpointMs) await checkpoint();
        }
        if (sinceBytes > 0 || position === offset) await checkpoint();
        if (hasher !== undefined) keepRunning(fileId, hasher, position);
      } finally {
        await handle.close().catch(() => undefined);
      }
      return position;
    },
    async seal(fileId) {
      const inline = running.get(fileId);
      running.delete(fileId);
      // The size on disk guards the running hash against a part file changed behind our back.
      const sha256 =
        inline !== undefined && (await sizeOrZero(partPath(fileId))) === inline.position
          ? inline.hasher.digest()
          : await hashStream('sha256', readChunks(partPath(fileId), 0, { fs, reuseBuffer: true }));
      await classified(() => fs.rename(partPath(fileId), sealedPath(fileId)));
      await classified(() => fsyncDir(dir, fs));
      return sha256;
    },
    read: (fileId, offset, options) => readChunks(sealedPath(fileId), offset, { fs, ...(options?.reuseBuffer ? { reuseBuffer: true } : {}) }),
    async size(fileId) {
      return (await sizeOrZero(sealedPath(fileId))) || sizeOrZero(partPath(fileId));
    },
    async remove(fileId) {
      running.delete(fileId);
      for (const file of [partPath(fileId), sealedPath(fileId)]) {
        await fs.unlink(file).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw classify(err);
        });
      }
    },
    freeBytes: async () => (await space()).freeBytes,
    space,
  };
}
