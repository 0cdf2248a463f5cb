import type { HashName, ReadOptions } from './source';

export interface TargetFeatures {
  /** `write` can continue a partial upload from `partialSize()`; otherwise every write starts at 0. */
  readonly canResume: boolean;
  /** `commit` moves the in-transit copy to its final name in one step. */
  readonly atomicCommit: boolean;
  /** Hashes the target can compute on its side, used by `commit` to verify. */
  readonly hashes: readonly HashName[];
  /**
   * How many files may be sent at once (1 for a site with one connection per link). Beside a file
   * larger than {@link SIDE_BY_SIDE_MAX_BYTES} only files up to that size go.
   */
  readonly parallelism: number;
  /**
   * The device's `write` is done with each chunk when it asks for the next (it keeps none: an awaited
   * file write), so its caller may hand it every chunk in one reused buffer, and its link moves each
   * chunk's buffer back to the uploader's thread for the next: no fresh memory per chunk. Without
   * it, the uploader reads each chunk fresh and the stream moves that buffer to the link uncopied.
   */
  readonly keepsNoChunk?: boolean;
}

/**
 * The largest file sent beside another: of the files in flight on one target at most one is larger,
 * so sending several at once (many small files, each mostly round trips) holds at most this much more
 * in memory per extra file, and a power cut costs at most this much more per extra file.
 */
export const SIDE_BY_SIDE_MAX_BYTES = 1024 * 1024;

/** What to do when a *different* file already has the final name. Same content is always "done". */
export type CollisionPolicy = 'rename' | 'overwrite' | 'skip';

export interface TargetStat {
  readonly size: number;
}

export interface ExpectedContent {
  readonly size: number;
  /** Hex sha256 of the whole file. */
  readonly sha256: string;
}

export interface CommitReceipt {
  /** Where the file now lives on the target (a path, or a URL for upload sites). */
  readonly location: string;
  /**
   * committed: moved into place now; already-present: the same content was there (e.g. a commit
   * whose reply was lost before a crash); renamed: a different file held the name, so this one got a
   * suffix; skipped: a different file held the name and the policy is `skip`.
   */
  readonly outcome: 'committed' | 'already-present' | 'renamed' | 'skipped';
}

export interface WriteOptions extends ReadOptions {
  /**
   * The content the caller will commit, when it knows it before sending (the uploader always does:
   * it sends staged files). A target that labels an object before its bytes go (S3 multipart: the
   * sha256 metadata is fixed at CreateMultipartUpload) needs it; others may ignore it.
   */
  readonly expected?: ExpectedContent;
}

/**
 * A place files go to. Contracts (checked by `@filesync/core/testing`):
 * - `partialSize(path)` is the size of the in-transit copy on the target itself (0 when none),
 *   never a locally remembered number; always 0 when `!features.canResume`.
 * - `write(path, 0, data)` starts the in-transit copy afresh; `write(path, offset > 0, data)` appends to
 *   it, and it must then be exactly `offset` bytes long (else `TransientError('conflict')`, and the
 *   caller asks `partialSize` again).
 * - `commit(path, expected)` checks the in-transit copy against `expected` (size, and a hash where
 *   the target offers one) and moves it to the final name under the collision policy. A size or hash
 *   mismatch rejects with `PermanentError('checksum-mismatch')` and discards the in-transit copy.
 *   Committing again after a lost reply returns `already-present` (also when the file was renamed
 *   under the `rename` policy). With neither the in-transit copy nor a matching final file, it rejects
 *   with `TransientError('conflict')`: the copy was lost and the upload starts again.
 * - `stat(path)` describes the file at its final name, or `undefined`.
 * - No-space conditions reject with `TransientError('no-space')`.
 */
export interface Target {
  readonly id: string;
  readonly features: TargetFeatures;
  stat(path: string): Promise<TargetStat | undefined>;
  partialSize(path: string): Promise<number>;
  write(path: string, offset: number, data: AsyncIterable<Uint8Array>, options?: WriteOptions): Promise<void>;
  commit(path: string, expected: ExpectedContent): Promise<CommitReceipt>;
  /** Reads back a committed file, where the target allows it (tests and verification). */
  read?(path: string, options?: ReadOptions): AsyncIterable<Uint8Array>;
  /** Removes a committed file (conformance cleanup, operator tools). */
  remove?(path: string): Promise<void>;
  /**
   * Reaches the device once and throws its fault (`filesync doctor`), for a target whose `stat` does not
   * (an upload site answers `stat` from its receipts); without it, a `stat` is the probe.
   */
  probe?(): Promise<void>;
  close(): Promise<void>;
}
