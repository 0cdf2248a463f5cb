/**
 * Hash names a device can offer. `sha256` is filesync's end-to-end check; `mavlink-crc32` is what
 * PX4's CalcFileCRC32 returns (init 0, no final XOR; see MAVFTP.md), which is not zlib's `crc32`.
 */
export const HASH_NAMES = ['sha256', 'sha1', 'md5', 'crc32', 'mavlink-crc32'] as const;
export type HashName = (typeof HASH_NAMES)[number];

export interface SourceEntry {
  /** POSIX path relative to the source root, no leading `/`. */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What a source can do, declared up front (after rclone's `Features`), so callers branch on data. */
export interface SourceFeatures {
  /** `read` honours a non-zero offset without re-reading the skipped bytes. */
  readonly canResume: boolean;
  /** `remove` is implemented. */
  readonly canRemove: boolean;
  /** Hashes `checksum` can compute on the device. */
  readonly hashes: readonly HashName[];
  /** How many reads may run at once (1 for MAVFTP: one session on the autopilot). */
  readonly parallelism: number;
}

export interface ReadOptions {
  readonly signal?: AbortSignal;
}

/**
 * A place files come from. Contracts (checked by `@filesync/core/testing`):
 * - `list()` yields every regular file below the root once; directories are not entries.
 * - `read(path, offset)` yields the bytes from `offset` to the end. A missing path rejects with
 *   `PermanentError('not-found')`; an offset at or past the end yields no bytes. A device that
 *   goes away mid-read throws `TransientError` (`device-gone`, `disconnected` or `timeout`).
 * - `checksum(path, hash)` exists only when `features.hashes` is non-empty.
 * - `remove(path)` exists only when `features.canRemove`; a missing path rejects with `not-found`.
 */
export interface Source {
  readonly id: string;
  readonly features: SourceFeatures;
  list(): AsyncIterable<SourceEntry>;
  read(path: string, offset: number, options?: ReadOptions): AsyncIterable<Uint8Array>;
  checksum?(path: string, hash: HashName): Promise<string>;
  remove?(path: string): Promise<void>;
  close(): Promise<void>;
}
