import { type ChunkBuffers, type FsCalls, type OpenedFile, nodeFsCalls, release } from '@filesync/core';
import { classify } from './errors';

export const DEFAULT_CHUNK_BYTES = 256 * 1024;

/**
 * The read past the size the file had at open: small, because for almost every file it only finds
 * the end, and a full chunk there would be 256 KiB of garbage per file (a stage actor's heap holds
 * its dead buffers until its next collection, and glibc keeps what they freed).
 */
const TAIL_PROBE_BYTES = 16 * 1024;

export interface ReadChunksOptions {
  chunkBytes?: number;
  signal?: AbortSignal;
  fs?: Pick<FsCalls, 'open'>;
  /**
   * One buffer for the whole read: each chunk is valid only until the next one is asked for. For a
   * consumer that is done with a chunk when it asks for the next (a hash), so that hashing a file
   * allocates one buffer, not one per chunk.
   */
  reuseBuffer?: boolean;
  /** Buffers to read into before allocating fresh ones (a chunk in one is released all the same). */
  buffers?: ChunkBuffers;
}

/**
 * Yields a file's bytes (`file` is a path, or how to open it: a source opens only regular files, and
 * its open's fstat gives the size, not asked again here) from `offset` with positional reads. Every chunk is a fresh buffer (a consumer
 * may keep it) unless `reuseBuffer`, sized to what is left of the file (a 10-byte file costs 10 bytes,
 * not a chunk); a file that grew since it was opened is read to its new end. Every failure —
 * including one in the middle, as when a drive is pulled — is classified, so EIO/ENODEV arrive as
 * transient `device-gone`. `fs` opens a path (node's unless a unit test hands in an in-memory one).
 */
export async function* readChunks(file: string | (() => Promise<OpenedFile>), offset: number, options: ReadChunksOptions = {}): AsyncGenerator<Uint8Array> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let handle;
  let opened: OpenedFile | undefined;
  try {
    if (typeof file === 'string') handle = await (options.fs ?? nodeFsCalls).open(file, 'r');
    else ({ handle } = opened = await file());
  } catch (err) {
    throw classify(err);
  }
  try {
    const sizeNow = async (): Promise<number> => {
      try {
        return (await handle.stat()).size;
      } catch (err) {
        throw classify(err);
      }
    };
    let size = opened?.size ?? (await sizeNow());
    let scratch: Buffer | undefined;
    let position = offset;
    for (;;) {
      options.signal?.throwIfAborted();
      const length = position < size ? Math.min(chunkBytes, size - position) : Math.min(chunkBytes, TAIL_PROBE_BYTES);
      // The one buffer of a reused read is as large as the file needs (a 64 KiB file hashed is not
      // read into 256 KiB: per staged file, at its seal and its checksum), larger only if it grew.
      if (options.reuseBuffer && (scratch === undefined || scratch.length < length)) {
        scratch = Buffer.allocUnsafeSlow(Math.min(chunkBytes, Math.max(length, size - position, TAIL_PROBE_BYTES)));
      }
      // allocUnsafeSlow: a small chunk is not a slice of Node's shared 8 KiB pool, which a consumer keeping it would keep whole.
      const handed = options.reuseBuffer ? undefined : options.buffers?.take(length);
      const buffer = options.reuseBuffer ? scratch! : handed ? Buffer.from(handed, 0, length) : Buffer.allocUnsafeSlow(length);
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, length, position));
      } catch (err) {
        throw classify(err);
      }
      if (bytesRead === 0) return;
      // Bytes past the size seen before: the file grew, so the rest goes in full chunks again.
      if (position >= size) size = Math.max(position + bytesRead, await sizeNow());
      position += bytesRead;
      const chunk = buffer.subarray(0, bytesRead);
      // A fresh buffer per chunk is the consumer's: one that sends it to another thread may move it.
      yield options.reuseBuffer ? chunk : release(chunk);
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}
