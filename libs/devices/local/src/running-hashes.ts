import { type Hasher, createHasher } from '@filesync/core';

/**
 * The sha256 of files being written, kept running from byte 0 across the writes that follow each
 * other (a file staged in slices, an upload), so that checking a finished file reads nothing back. A
 * write that starts anywhere else than where the kept hash ends (a restart, a truncation, a write
 * that failed half-way) gets none, and its file is read back and hashed whole when it is checked.
 * Few files are written at once; past `max` the oldest hash is dropped (its file is read back).
 */
export class RunningHashes {
  private readonly kept = new Map<string, { readonly hasher: Hasher; readonly position: number }>();

  constructor(private readonly max = 16) {}

  /**
   * The hash a write of `key` from `offset` goes on with: a new one at 0, the kept one if it ends at
   * `offset`, else none. It is taken out until `keep` puts it back, so a write that fails leaves none.
   */
  start(key: string, offset: number): Hasher | undefined {
    const before = this.kept.get(key);
    this.kept.delete(key);
    if (offset === 0) return createHasher('sha256');
    return before?.position === offset ? before.hasher : undefined;
  }

  /** Keeps `hasher` as the hash of the first `position` bytes of `key`, for the next write or the check. */
  keep(key: string, hasher: Hasher, position: number): void {
    this.kept.set(key, { hasher, position });
    if (this.kept.size > this.max) this.kept.delete(this.kept.keys().next().value!);
  }

  /** The hex sha256 of `key`'s first `size` bytes if a kept hash covers exactly those; the hash is gone after. */
  digestOf(key: string, size: number): string | undefined {
    const kept = this.kept.get(key);
    this.kept.delete(key);
    return kept?.position === size ? kept.hasher.digest() : undefined;
  }

  drop(key: string): void {
    this.kept.delete(key);
  }
}

/**
 * Writes `chunk` with `write` and feeds it to `hasher` while the write is under way: the hash runs on
 * this thread while libuv's pool copies the bytes to the file, instead of after.
 */
export async function writeHashing(write: () => Promise<void>, chunk: Uint8Array, hasher: Hasher | undefined): Promise<void> {
  const written = write();
  try {
    hasher?.update(chunk);
  } finally {
    await written;
  }
}
