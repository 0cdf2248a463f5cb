/**
 * What a read stopped before its end had already read ahead of its reader (the chunks in flight
 * on its stream), kept a while for the next read of the same file from exactly there: the
 * downloader ends a slice on time and comes back, and those bytes are not fetched from the device
 * a second time. A device that keeps its own transfer for such a read (FTP) finds it at the right
 * position, after these chunks.
 */
export class KeptReadAhead {
  private readonly kept = new Map<string, { readonly offset: number; readonly chunks: readonly Uint8Array[]; readonly timer: NodeJS.Timeout }>();

  constructor(private readonly keepMs = 5000) {}

  keep(key: string, offset: number, chunks: readonly Uint8Array[]): void {
    this.drop(key);
    if (chunks.length === 0) return;
    const timer = setTimeout(() => this.kept.delete(key), this.keepMs);
    timer.unref();
    this.kept.set(key, { offset, chunks, timer });
  }

  /** The chunks kept for `key` from exactly `offset`, taken out (none: empty); any others for `key` are dropped. */
  take(key: string, offset: number): readonly Uint8Array[] {
    const entry = this.kept.get(key);
    this.drop(key);
    return entry?.offset === offset ? entry.chunks : [];
  }

  clear(): void {
    for (const key of [...this.kept.keys()]) this.drop(key);
  }

  private drop(key: string): void {
    clearTimeout(this.kept.get(key)?.timer);
    this.kept.delete(key);
  }
}

/** `kept`, then what `rest` reads from the byte after them. `rest` is not called if the reader stops within `kept`. */
export async function* afterKept(kept: readonly Uint8Array[], offset: number, rest: (offset: number) => AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let at = offset;
  for (const chunk of kept) {
    yield chunk;
    at += chunk.byteLength;
  }
  yield* rest(at);
}
