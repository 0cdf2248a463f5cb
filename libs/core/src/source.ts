import type { ChunkBuffers } from './released-buffers';

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
  /**
   * What `stat` proves about the version of a file now at a path (absent: the source has no `stat`,
   * so nothing it lists is ever removed under `move`). `size-mtime`: its size and mtime, as `list`
   * gives them. `fingerprint`: also an opaque fingerprint that changes when the file is replaced or
   * rewritten in place, even with the same size and mtime (see docs/identity.md).
   */
  readonly identity?: 'size-mtime' | 'fingerprint';
}

/** The version of one file as the device sees it now (`Source.stat`). */
export interface SourceStat {
  /** Same units and precision as the `SourceEntry` that `list` gives for the path. */
  readonly size: number;
  readonly mtimeMs: number;
  /** Present when `features.identity` is `fingerprint`; compared only for equality. */
  readonly fingerprint?: string;
}

/**
 * Something a listing could not read. The walk reports it and goes on; the finder shows it in the
 * source's status and keeps every file it covers as "not seen" (never `vanished`).
 */
export interface ListProblem {
  /** POSIX path relative to the source root ("" is the root: the whole listing is incomplete). */
  readonly path: string;
  /** `tree`: nothing at or below `path` was listed (unreadable directory, cycle, bound); `entry`: this one entry was left out. */
  readonly scope: 'tree' | 'entry';
  readonly reason: string;
}

export interface ListOptions {
  /** Told of each directory or entry the walk had to leave out. */
  readonly onProblem?: (problem: ListProblem) => void;
}

/** Whether `path` lies in what `problem` left out of a listing. */
export function problemCovers(problem: ListProblem, path: string): boolean {
  if (problem.scope === 'entry') return path === problem.path;
  return problem.path === '' || path === problem.path || path.startsWith(`${problem.path}/`);
}

export interface ReadOptions {
  readonly signal?: AbortSignal;
  /** Where the device may take the buffers it reads into (a device that allocates its own ignores it). */
  readonly buffers?: ChunkBuffers;
}

/**
 * A place files come from. Contracts (checked by `@filesync/core/testing`):
 * - `list()` yields every regular file below the root once; directories and symlinks are not
 *   entries. An unreadable directory or a malformed entry below the root is reported through
 *   `onProblem` and the walk goes on; a root that cannot be listed rejects. Walks stop at
 *   `WALK_LIMITS` and at directory cycles, reporting them as problems.
 * - `read(path, offset)` yields the bytes from `offset` to the end. A missing path rejects with
 *   `PermanentError('not-found')`; an offset at or past the end yields no bytes. A device that
 *   goes away mid-read throws `TransientError` (`device-gone`, `disconnected` or `timeout`).
 * - `checksum(path, hash)` exists only when `features.hashes` is non-empty.
 * - `remove(path)` exists only when `features.canRemove`; a missing path rejects with `not-found`.
 * - `stat(path)` exists only when `features.identity` is set: the version of the regular file at
 *   `path` now, with the size and mtime `list` would give it; a missing path (or one that is no
 *   longer a regular file) rejects with `not-found`.
 * - `roundTripMs()` exists where the device measures its link (MAVFTP): the smoothed round-trip
 *   time of its requests, or undefined before the first one. It never touches the link (metrics
 *   read it while transfers run).
 */
export interface Source {
  readonly id: string;
  readonly features: SourceFeatures;
  list(options?: ListOptions): AsyncIterable<SourceEntry>;
  read(path: string, offset: number, options?: ReadOptions): AsyncIterable<Uint8Array>;
  checksum?(path: string, hash: HashName): Promise<string>;
  remove?(path: string): Promise<void>;
  stat?(path: string): Promise<SourceStat>;
  roundTripMs?(): number | undefined;
  close(): Promise<void>;
}
