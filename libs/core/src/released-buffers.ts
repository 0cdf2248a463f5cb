/**
 * Buffers whose producer gave them up with the chunk it yielded: it never reads or reuses them
 * again. A consumer that sends such a chunk to another thread may move its buffer instead of
 * copying it — a copy into fresh memory costs a page fault per 4 KiB, about 1.4 s of CPU per GiB
 * uploaded (pipeline bench, 256 KiB chunks).
 */
const released = new WeakSet<ArrayBufferLike>();

/** Marks `chunk`'s buffer as given up by its producer; returns the chunk. */
export function release<T extends Uint8Array>(chunk: T): T {
  released.add(chunk.buffer);
  return chunk;
}

/**
 * Buffers a producer may read into instead of allocating one per chunk: those of chunks its consumer
 * is done with, handed back for the next reads. A chunk read into one is released (`release`) like a
 * fresh one. Without it a thread that reads a file in fresh 256 KiB buffers and copies each away
 * leaves one dead buffer per chunk, freed only at its next collection: the source link held up to
 * 78 MiB of them while a 1 GiB file was staged, and 26 MiB once idle after (pipeline bench).
 */
export interface ChunkBuffers {
  /** A buffer of exactly `bytes` that nothing else uses any more, or undefined (allocate one). */
  take(bytes: number): ArrayBuffer | undefined;
}

/** Whether `chunk` fills a buffer its producer gave up, so that moving the buffer moves exactly the chunk. */
export function isReleased(chunk: Uint8Array): boolean {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && released.has(chunk.buffer);
}
