/**
 * Passes chunks through and calls `report` with the running offset at most every `everyBytes` or
 * `everyMs` — status for an upload in flight. Not at the end: the commit that follows records the
 * whole size, and one report more per file would be one catalog commit more.
 */
export async function* reportProgress(
  chunks: AsyncIterable<Uint8Array>,
  start: number,
  report: (offset: number) => unknown,
  everyBytes: number,
  everyMs: number,
): AsyncGenerator<Uint8Array> {
  let offset = start;
  let lastBytes = start;
  let lastAt = performance.now();
  for await (const chunk of chunks) {
    // Counted before it is passed on: its consumer may move its buffer to another thread.
    offset += chunk.length;
    yield chunk;
    if (offset - lastBytes >= everyBytes || performance.now() - lastAt >= everyMs) {
      lastBytes = offset;
      lastAt = performance.now();
      await report(offset);
    }
  }
}
