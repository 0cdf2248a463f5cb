/**
 * Passes through at most `max` bytes of `chunks`, then stops pulling (so a source that grew since it was
 * listed delivers only the listed version). With `untilMs` (a `performance.now()` instant) it also
 * stops at the first chunk boundary after that time. Reports how many bytes went through.
 */
export async function* limitBytes(
  chunks: AsyncIterable<Uint8Array>,
  max: number,
  counter?: { bytes: number; timedOut?: boolean },
  untilMs = Infinity,
): AsyncGenerator<Uint8Array> {
  let left = max;
  if (left <= 0) return;
  for await (const chunk of chunks) {
    const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
    left -= part.length;
    if (counter) counter.bytes += part.length;
    yield part;
    if (left <= 0) return;
    if (performance.now() >= untilMs) {
      if (counter) counter.timedOut = true;
      return;
    }
  }
}
