import { type ChunkBuffers, type Hasher, createHasher } from '@filesync/core';
import { type ReadChunksOptions, readChunks } from './read-chunks';

/**
 * Two buffers read into in turn: while a chunk in one is hashed, the next is read into the other.
 * Safe only for a consumer that is done with a chunk before it asks for the one after next.
 */
class TakingTurns implements ChunkBuffers {
  private readonly buffers: ArrayBuffer[] = [];
  private turn = 0;

  take(bytes: number): ArrayBuffer {
    const i = this.turn++ % 2;
    const kept = this.buffers[i];
    if (kept?.byteLength === bytes) return kept;
    return (this.buffers[i] = new ArrayBuffer(bytes));
  }
}

/**
 * The sha256 (or `hasher`'s hash) of a whole file, each chunk hashed while the next one is read: the
 * read and the hash overlap instead of taking turns. On a Pi they cost about the same (a USB stick
 * read at 30 MB/s, SHA-256 on a core without crypto instructions), so a checksum pass takes about
 * half as long. `file` as for `readChunks`.
 */
export async function hashFile(file: Parameters<typeof readChunks>[0], options: Pick<ReadChunksOptions, 'fs' | 'signal'> & { readonly hasher?: Hasher } = {}): Promise<string> {
  const { hasher = createHasher('sha256'), ...readOptions } = options;
  const chunks = readChunks(file, 0, { ...readOptions, buffers: new TakingTurns() })[Symbol.asyncIterator]();
  try {
    for (let next = chunks.next(); ; ) {
      const got = await next;
      if (got.done) break;
      // The next read starts (into the other buffer) before this chunk is hashed.
      next = chunks.next();
      // Not left unhandled if the hash throws before it is awaited; awaited, it still rejects.
      next.catch(() => undefined);
      hasher.update(got.value);
    }
  } finally {
    await chunks.return?.(undefined);
  }
  return hasher.digest();
}
