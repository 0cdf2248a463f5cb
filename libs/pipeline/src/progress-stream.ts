/**
 * Passes chunks through and calls `report` with the running offset: once `firstBytes` have passed
 * (which shows the upload as under way), then at most every `everyMs` — status for an upload in
 * flight, which a rate needs no more often. Not at the end: the commit that follows records the
 * whole size, and one report more per file would be one catalog commit more.
 */
export async function* reportProgress(
  chunks: AsyncIterable<Uint8Array>,
  start: number,
  report: (offset: number) => unknown,
  firstBytes: number,
  everyMs: number,
): AsyncGenerator<Uint8Array> {
  let offset = start;
  let reported = false;
  let lastAt = performance.now();
  for await (const chunk of chunks) {
    // Counted before it is passed on: its consumer may move its buffer to another thread.
    offset += chunk.length;
    yield chunk;
    if ((!reported && offset - start >= firstBytes) || performance.now() - lastAt >= everyMs) {
      reported = true;
      lastAt = performance.now();
      await report(offset);
    }
  }
}
