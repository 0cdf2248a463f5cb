import { type FsCalls, type FsFileHandle, nodeFsCalls } from '@filesync/core';
import { classify } from './errors';

export const DEFAULT_CHUNK_BYTES = 256 * 1024;

/**
 * Yields a file's bytes (`file` is a path, or how to open it: a source opens only regular files) from `offset` with positional reads. Every chunk is a fresh buffer (a consumer
 * may keep it), and every failure — including one in the middle, as when a drive is pulled — is
 * classified, so EIO/ENODEV arrive as transient `device-gone`. `fs` opens a path (node's unless a unit test
 * hands in an in-memory one).
 */
export async function* readChunks(
  file: string | (() => Promise<FsFileHandle>),
  offset: number,
  options: { chunkBytes?: number; signal?: AbortSignal; fs?: Pick<FsCalls, 'open'> } = {},
): AsyncGenerator<Uint8Array> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let handle;
  try {
    handle = typeof file === 'string' ? await (options.fs ?? nodeFsCalls).open(file, 'r') : await file();
  } catch (err) {
    throw classify(err);
  }
  try {
    let position = offset;
    for (;;) {
      options.signal?.throwIfAborted();
      const buffer = Buffer.allocUnsafe(chunkBytes);
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, chunkBytes, position));
      } catch (err) {
        throw classify(err);
      }
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}
