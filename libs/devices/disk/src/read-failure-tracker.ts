import type { ErrorData } from '@filesync/core';

/** One file's run of identical read failures. */
export interface ReadFailure {
  readonly sourceId: string;
  readonly path: string;
  /** How many reads in a row failed this same way. */
  readonly attempts: number;
  /** Byte offset of the failing read; a bad cluster fails at the same place every time. */
  readonly offset: number;
  readonly error: ErrorData;
  /** `attempts` reached the limit: the file should be marked `failed` with `error` as its reason. */
  readonly failed: boolean;
}

/**
 * Counts, per file, reads that fail the same way (same code, errno and offset) while the drive is
 * present. A corrupt FAT cluster fails identically every time; after `maxFailures` the file is
 * given up on, and only that file: others keep their own counts. A different failure starts the count
 * again, and a read that reaches the end clears it. Plain data, so the pipeline or status page can
 * show `failures()` as is.
 */
export class ReadFailureTracker {
  private readonly runs = new Map<string, ReadFailure>();

  constructor(readonly maxFailures: number) {
    if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new RangeError(`maxFailures must be a positive integer, got ${maxFailures}`);
  }

  /** Records one failed read and returns the file's run, `failed` once it reached the limit. */
  record(sourceId: string, path: string, offset: number, error: ErrorData): ReadFailure {
    const key = `${sourceId}\u0000${path}`;
    const previous = this.runs.get(key);
    const errno = (e: ErrorData): unknown => e.detail?.['errno'];
    const same =
      previous !== undefined && previous.offset === offset && previous.error.code === error.code && errno(previous.error) === errno(error);
    const attempts = same ? previous.attempts + 1 : 1;
    const run: ReadFailure = { sourceId, path, attempts, offset, error, failed: attempts >= this.maxFailures };
    this.runs.set(key, run);
    return run;
  }

  /** A read of the file succeeded to the end: forget its failures. */
  clear(sourceId: string, path: string): void {
    this.runs.delete(`${sourceId}\u0000${path}`);
  }

  get(sourceId: string, path: string): ReadFailure | undefined {
    return this.runs.get(`${sourceId}\u0000${path}`);
  }

  /** Every file with a current run of failures, given-up ones included. */
  failures(): ReadFailure[] {
    return [...this.runs.values()];
  }
}
