/**
 * Passes chunks through and calls `report` with the running offset at most every `everyBytes` or
 * `everyMs`, and once at the end — status for an upload in flight.
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
    yield chunk;
    offset += chunk.length;
    if (offset - lastBytes >= everyBytes || performance.now() - lastAt >= everyMs) {
      lastBytes = offset;
      lastAt = performance.now();
      await report(offset);
    }
  }
  if (offset !== lastBytes) await report(offset);
}
