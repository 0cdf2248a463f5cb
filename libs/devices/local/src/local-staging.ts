import { mkdir, open, rename, stat, statfs, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Staging, type StagingWriteOptions, hashStream, writeFully } from '@filesync/core';
import { classified, classify } from './errors';
import { fsyncDir } from './durable-fs';
import { readChunks } from './read-chunks';

async function sizeOrZero(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw classify(err);
  }
}

/**
 * Staging on the local disk: `<id>.part` while downloading, `<id>` once sealed. Bytes are fsynced
 * before a checkpoint is reported, so the catalog never records an offset past durable data.
 */
export function createLocalStaging(dir: string): Staging & { readonly dir: string; pathOf(fileId: string): string } {
  const partPath = (id: string): string => join(dir, `${id}.part`);
  const sealedPath = (id: string): string => join(dir, id);
  let made = false;
  const ensureDir = async (): Promise<void> => {
    if (made) return;
    await classified(() => mkdir(dir, { recursive: true }));
    made = true;
  };

  return {
    dir,
    pathOf: sealedPath,
    async resume(fileId, recordedOffset) {
      // Sealed but not yet recorded as staged (power cut between the two): unseal, so the download
      // goes on from its record (the whole file) instead of starting again from byte 0.
      if ((await sizeOrZero(partPath(fileId))) === 0 && (await sizeOrZero(sealedPath(fileId))) > 0) {
        await classified(() => rename(sealedPath(fileId), partPath(fileId)));
      }
      const have = await sizeOrZero(partPath(fileId));
      // Bytes past the record were written but never promised durable: drop them.
      if (have > recordedOffset) await classified(() => truncate(partPath(fileId), recordedOffset));
      return Math.min(have, recordedOffset);
    },
    async append(fileId, offset, data, options: StagingWriteOptions) {
      await ensureDir();
      const file = partPath(fileId);
      const handle = await classified(() => open(file, offset === 0 ? 'w' : 'r+'));
      let position = offset;
      try {
        if (offset > 0) await classified(() => handle.truncate(offset));
        let sinceBytes = 0;
        let lastSync = performance.now();
        const checkpoint = async (): Promise<void> => {
          await classified(() => handle.datasync());
          sinceBytes = 0;
          lastSync = performance.now();
          await options.onCheckpoint({ offset: position });
        };
        for await (const chunk of data) {
          options.signal?.throwIfAborted();
          await classified(() => writeFully(handle, chunk, position));
          position += chunk.length;
          sinceBytes += chunk.length;
          if (sinceBytes >= options.checkpointBytes || performance.now() - lastSync >= options.checkpointMs) await checkpoint();
        }
        if (sinceBytes > 0 || position === offset) await checkpoint();
      } finally {
        await handle.close().catch(() => undefined);
      }
      return position;
    },
    async seal(fileId) {
      const sha256 = await hashStream('sha256', readChunks(partPath(fileId), 0));
      await classified(() => rename(partPath(fileId), sealedPath(fileId)));
      await classified(() => fsyncDir(dir));
      return sha256;
    },
    read: (fileId, offset) => readChunks(sealedPath(fileId), offset),
    async size(fileId) {
      return (await sizeOrZero(sealedPath(fileId))) || sizeOrZero(partPath(fileId));
    },
    async remove(fileId) {
      for (const file of [partPath(fileId), sealedPath(fileId)]) {
        await unlink(file).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw classify(err);
        });
      }
    },
    async freeBytes() {
      await ensureDir();
      const fs = await classified(() => statfs(dir));
      return fs.bavail * fs.bsize;
    },
    async totalBytes() {
      await ensureDir();
      const fs = await classified(() => statfs(dir));
      return fs.blocks * fs.bsize;
    },
  };
}
