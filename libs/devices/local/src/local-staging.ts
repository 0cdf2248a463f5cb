import { join } from 'node:path';
import { type FsCalls, type Staging, type StagingSpace, type StagingWriteOptions, nodeFsCalls, writeFully } from '@filesync/core';
import { classified, classify } from './errors';
import { fsyncDir } from './durable-fs';
import { hashFile } from './hash-file';
import { readChunks } from './read-chunks';
import { RunningHashes, writeHashing } from './running-hashes';

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
 * Staging on the local disk: `<id>.part` while downloading, `<id>` once sealed. Bytes are fsynced
 * before a checkpoint is reported, so the catalog never records an offset past durable data; the
 * bytes after it are written while that datasync runs (one checkpoint under way at a time), so the
 * download does not stop for the disk at every checkpoint.
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
  const running = new RunningHashes();
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
      const hasher = running.start(fileId, offset);
      const handle = await classified(() => fs.open(file, offset === 0 ? 'w' : 'r+'));
      let position = offset;
      /** The checkpoint under way (its datasync, then its report): the next bytes are written meanwhile. */
      let syncing: Promise<void> | undefined;
      try {
        if (offset > 0) await classified(() => handle.truncate(offset));
        let sinceBytes = 0;
        let lastSync = performance.now();
        const checkpoint = (): Promise<void> => {
          // Every byte up to here is written: the datasync that starts now covers them all.
          const at = position;
          sinceBytes = 0;
          lastSync = performance.now();
          return classified(() => handle.datasync()).then(() => writeOptions.onCheckpoint({ offset: at }));
        };
        for await (const chunk of data) {
          writeOptions.signal?.throwIfAborted();
          await writeHashing(() => classified(() => writeFully(handle, chunk, position)), chunk, hasher);
          position += chunk.length;
          sinceBytes += chunk.length;
          if (sinceBytes >= writeOptions.checkpointBytes || performance.now() - lastSync >= writeOptions.checkpointMs) {
            // One at a time, so checkpoints are reported in order and a failed one stops the append.
            await syncing;
            syncing = checkpoint();
            // Handled here, thrown where it is awaited: a failure while the next chunk is awaited is no unhandled rejection.
            syncing.catch(() => undefined);
          }
        }
        await syncing;
        if (sinceBytes > 0 || position === offset) await checkpoint();
        if (hasher !== undefined) running.keep(fileId, hasher, position);
      } finally {
        // Never closed under a datasync in flight (an append that failed on its data while one ran).
        await syncing?.catch(() => undefined);
        await handle.close().catch(() => undefined);
      }
      return position;
    },
    async seal(fileId) {
      // The size on disk guards the running hash against a part file changed behind our back.
      const sha256 =
        running.digestOf(fileId, await sizeOrZero(partPath(fileId))) ?? (await hashFile(partPath(fileId), { fs }));
      await classified(() => fs.rename(partPath(fileId), sealedPath(fileId)));
      await classified(() => fsyncDir(dir, fs));
      return sha256;
    },
    read: (fileId, offset, options) => readChunks(sealedPath(fileId), offset, { fs, ...(options?.reuseBuffer ? { reuseBuffer: true } : {}) }),
    async size(fileId) {
      return (await sizeOrZero(sealedPath(fileId))) || sizeOrZero(partPath(fileId));
    },
    async remove(fileId) {
      running.drop(fileId);
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
