import { open, rename, rm, stat, statfs, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { type Staging, hashStream } from '@filesync/core';

async function sizeOf(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

async function* readFileChunks(file: string, offset: number): AsyncGenerator<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    for (let position = offset; ; ) {
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/**
 * The smallest honest `Staging` for the copy tests, on node:fs (devices may not use each other, so
 * not device-local's): `<id>.part` while downloading, `<id>` once sealed, datasync at checkpoints.
 * `durable: false` skips the datasync where a test is about the source, not about power loss.
 */
export function createTestStaging(dir: string, options: { durable?: boolean } = {}): Staging & { pathOf(fileId: string): string } {
  const durable = options.durable ?? true;
  const part = (id: string): string => join(dir, `${id}.part`);
  const sealed = (id: string): string => join(dir, id);
  return {
    pathOf: sealed,
    async resume(fileId, recordedOffset) {
      const have = await sizeOf(part(fileId));
      if (have > recordedOffset) await truncate(part(fileId), recordedOffset);
      return Math.min(have, recordedOffset);
    },
    async append(fileId, offset, data, options) {
      const handle = await open(part(fileId), offset === 0 ? 'w' : 'r+');
      let position = offset;
      try {
        let since = 0;
        let last = performance.now();
        const checkpoint = async (): Promise<void> => {
          if (durable) await handle.datasync();
          since = 0;
          last = performance.now();
          await options.onCheckpoint({ offset: position });
        };
        try {
          for await (const chunk of data) {
            await handle.write(chunk, 0, chunk.length, position);
            position += chunk.length;
            since += chunk.length;
            if (since >= options.checkpointBytes || performance.now() - last >= options.checkpointMs) await checkpoint();
          }
        } catch (err) {
          // What arrived before the source failed is good: make it durable and record it first.
          if (since > 0) await checkpoint();
          throw err;
        }
        if (since > 0 || position === offset) await checkpoint();
      } finally {
        await handle.close();
      }
      return position;
    },
    async seal(fileId) {
      const sha256 = await hashStream('sha256', readFileChunks(part(fileId), 0));
      await rename(part(fileId), sealed(fileId));
      return sha256;
    },
    read: (fileId, offset) => readFileChunks(sealed(fileId), offset),
    async size(fileId) {
      return (await sizeOf(sealed(fileId))) || sizeOf(part(fileId));
    },
    async remove(fileId) {
      await rm(part(fileId), { force: true });
      await rm(sealed(fileId), { force: true });
    },
    async freeBytes() {
      const fs = await statfs(dir);
      return fs.bavail * fs.bsize;
    },
  };
}
