import * as nodeFs from 'node:fs/promises';

/**
 * The node:fs/promises calls the local devices make, typed as narrowly as they use them, so a unit
 * test can hand in an in-memory file system (memfs, in `@filesync/core/testing/memfs`) and production
 * passes node's own module: a call costs one property read more, nothing else. Each device takes a
 * `Pick` of this naming exactly what it calls.
 */
export interface FsCalls {
  open(path: string, flags: string | number): Promise<FsFileHandle>;
  mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
  rename(from: string, to: string): Promise<void>;
  stat(path: string): Promise<FsStats>;
  lstat(path: string): Promise<FsStats>;
  lstat(path: string, options: { bigint: true }): Promise<FsBigIntStats>;
  /** Free and total space (the staging guard). */
  statfs(path: string): Promise<FsStatFs>;
  truncate(path: string, length: number): Promise<void>;
  unlink(path: string): Promise<void>;
  opendir(path: string): Promise<AsyncIterable<FsDirent>>;
  readlink(path: string): Promise<string>;
  realpath(path: string): Promise<string>;
}

/** What the devices do with an open file: positional reads and writes, truncate, flush, stat. */
export interface FsFileHandle {
  readonly fd: number;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  truncate(length: number): Promise<void>;
  /** fdatasync: the data is durable (size included), metadata not necessarily. */
  datasync(): Promise<void>;
  /** fsync: data and metadata durable (a directory: the names in it). */
  sync(): Promise<void>;
  stat(): Promise<FsStats>;
  close(): Promise<void>;
}

export interface FsStats {
  readonly size: number;
  readonly mtimeMs: number;
  readonly dev: number;
  readonly ino: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}

/** An lstat in nanoseconds: the version fingerprint needs ctime and mtime finer than a millisecond. */
export interface FsBigIntStats {
  readonly size: bigint;
  readonly mtimeMs: bigint;
  readonly dev: bigint;
  readonly ino: bigint;
  readonly ctimeNs: bigint;
  readonly mtimeNs: bigint;
  isFile(): boolean;
}

export interface FsStatFs {
  readonly bavail: number;
  readonly bsize: number;
  readonly blocks: number;
}

export interface FsDirent {
  readonly name: string;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** node's own calls: the default everywhere outside unit tests. */
export const nodeFsCalls: FsCalls = nodeFs;
