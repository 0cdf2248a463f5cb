/**
 * Local staging between source and target. Durability rule: bytes are fsynced before the caller
 * records the new offset, so a recorded offset never points past durable data.
 */
export interface StagingCheckpoint {
  /** Bytes durably on disk in the partial staged file. */
  readonly offset: number;
}

export interface StagingWriteOptions {
  /** fsync and report a checkpoint after this many bytes… */
  readonly checkpointBytes: number;
  /** …or after this long, whichever comes first. */
  readonly checkpointMs: number;
  readonly signal?: AbortSignal;
  /** Called after each fsync; the caller records the offset (data first, then the record). */
  readonly onCheckpoint: (checkpoint: StagingCheckpoint) => void | Promise<void>;
}

export interface Staging {
  /**
   * Prepares to continue a partial file at `recordedOffset`: a longer partial file is truncated to it
   * (bytes past the record were never promised durable), a shorter one means the disk lost data and
   * the returned offset is what can really be continued from.
   */
  resume(fileId: string, recordedOffset: number): Promise<number>;
  /** Appends `data` at `offset`, fsyncing at checkpoints; returns the final durable offset. */
  append(fileId: string, offset: number, data: AsyncIterable<Uint8Array>, options: StagingWriteOptions): Promise<number>;
  /** Marks the partial file complete and returns its hex sha256. */
  seal(fileId: string): Promise<string>;
  /**
   * Reads a sealed file from `offset`. `reuseBuffer`: one buffer for the whole read, each chunk valid
   * only until the next is asked for (for a consumer done with each chunk by then); a staging may
   * ignore it.
   */
  read(fileId: string, offset: number, options?: { readonly reuseBuffer?: boolean }): AsyncIterable<Uint8Array>;
  /** Size of the sealed or partial file, 0 when absent. */
  size(fileId: string): Promise<number>;
  remove(fileId: string): Promise<void>;
  /** Free bytes on the staging file system. */
  freeBytes(): Promise<number>;
  /**
   * Free bytes and the size of the staging file system, read together (one statfs, asked at every
   * download step). The size tells a file that can never be staged (larger than it, less the reserve).
   * A staging without it only answers `freeBytes`.
   */
  space?(): Promise<StagingSpace>;
}

export interface StagingSpace {
  readonly freeBytes: number;
  readonly totalBytes: number;
}
