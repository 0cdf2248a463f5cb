import { createHash } from 'node:crypto';

/**
 * Cuts a byte stream into parts of exactly `partSize` bytes (the last one shorter). A part is held
 * whole in memory because S3 needs each part's length and Content-MD5 before its first byte. Each part
 * is one buffer filled by copying the chunks in (the chunk's memory may be reused by its producer once
 * we ask for the next one), taken only when its first byte comes. `spare` holds buffers of `partSize`
 * whose parts are done (see `PartBuffers`): filling one of those costs no fresh memory.
 */
export async function* splitParts(data: AsyncIterable<Uint8Array>, partSize: number, signal?: AbortSignal, spare?: PartBuffers): AsyncGenerator<Buffer> {
  let part: Buffer | undefined;
  let filled = 0;
  for await (const chunk of data) {
    signal?.throwIfAborted();
    let at = 0;
    while (at < chunk.byteLength) {
      part ??= spare?.take() ?? Buffer.allocUnsafe(partSize);
      const n = Math.min(partSize - filled, chunk.byteLength - at);
      part.set(chunk.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === partSize) {
        const full = part;
        part = undefined;
        filled = 0;
        yield full;
      }
    }
  }
  // Only the bytes filled: the rest of the buffer is old memory.
  if (part !== undefined && filled > 0) yield part.subarray(0, filled);
}

/**
 * The part buffers of one upload call, handed back once their part is done (sent and answered, or
 * skipped) and filled again: a 1 GiB file in 8 MiB parts allocates about `partConcurrency + 1`
 * buffers instead of 128, each of which cost page faults to fill and garbage to collect. A buffer is
 * handed back only after the store answered its request, when the socket has no more bytes of it to
 * write; and Content-MD5 makes the store refuse a body that changed on the way in any case. Nothing
 * outlives the call: an idle target holds no part memory.
 */
export class PartBuffers {
  private readonly free: Buffer[] = [];

  constructor(private readonly partSize: number) {}

  take(): Buffer | undefined {
    return this.free.pop();
  }

  /** `part` may be filled again (a short last part is not: the upload ends with it). */
  giveBack(part: Buffer): void {
    if (part.length === this.partSize) this.free.push(part);
  }
}

export function md5Of(bytes: Uint8Array): Buffer {
  return createHash('md5').update(bytes).digest();
}

/** An ETag without its quotes, lower-case, for comparing (stores differ on both). */
export function bareEtag(etag: string): string {
  return etag.replace(/"/g, '').toLowerCase();
}

/** True when the ETag is a plain MD5 of the bytes (no SSE-KMS, not a multipart ETag). */
export function isMd5Etag(etag: string): boolean {
  return /^[0-9a-f]{32}$/.test(bareEtag(etag));
}

/**
 * The ETag S3 gives a completed multipart object: md5 of the parts' binary MD5s, "-", the part
 * count. Defined only when every part's ETag was its MD5.
 */
export function multipartEtag(partEtags: readonly string[]): string | undefined {
  if (partEtags.length === 0 || !partEtags.every(isMd5Etag)) return undefined;
  const joined = Buffer.concat(partEtags.map((e) => Buffer.from(bareEtag(e), 'hex')));
  return `${md5Of(joined).toString('hex')}-${partEtags.length}`;
}

/** The parts numbered 1, 2, … without a gap (`parts` sorted by number): how many, and their bytes. */
export function runOf(parts: readonly { readonly partNumber: number; readonly size: number }[]): { parts: number; bytes: number } {
  let bytes = 0;
  let n = 0;
  for (const part of parts) {
    if (part.partNumber !== n + 1) break;
    bytes += part.size;
    n++;
  }
  return { parts: n, bytes };
}

/**
 * Whether `bytes` are the part recorded (the store acknowledged them earlier, out of order, before a
 * power cut): same size and, where its ETag is an MD5, the same MD5. An ETag that is no MD5 (SSE-KMS)
 * proves nothing about bytes, so the record (reconciled with ListParts) is trusted, as for the run of parts.
 */
export function provenBy(recorded: { readonly size: number; readonly etag: string }, bytes: Uint8Array): boolean {
  if (recorded.size !== bytes.byteLength) return false;
  return !isMd5Etag(recorded.etag) || bareEtag(recorded.etag) === md5Of(bytes).toString('hex');
}
