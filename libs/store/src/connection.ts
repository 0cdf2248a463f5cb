import Database from 'better-sqlite3';
import { PermanentError, TransientError, classifyErrno } from '@filesync/core';
import type { FilesyncError } from '@filesync/core';
import { nativeBindingOption } from './native-binding';

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Pages a connection keeps cached, in KiB: SQLite's own default, where better-sqlite3 builds SQLite with
 * 16 MB. Each actor that touches the catalog has a connection, and the one that runs the start-up
 * integrity check reads every page: over a catalog of 100,000 files the agent idled 19 MiB higher with
 * 16 MB (`footprint --catalog-files`). Reads of the whole catalog (metrics, status counts) then come
 * from the OS's cache instead, about twice as slow (`catalog-totals`).
 */
const CACHE_KIB = 2000;

/**
 * Opens a connection with the durability settings of the catalog:
 * - WAL: a crash mid-write leaves the last committed state readable; readers (CLI, status) never
 *   block the writer.
 * - synchronous=FULL: each commit fsyncs the WAL, so a transition the caller saw committed survives
 *   power loss (NORMAL would only keep the database consistent, losing the last commits).
 * - foreign_keys=ON: no target row or event for a file that is not there.
 * - busy_timeout: a second process (the CLI beside the agent) waits for the lock instead of failing.
 * - cache_size: see `CACHE_KIB`.
 */
export function openConnection(path: string, options: { busyTimeoutMs?: number; fileMustExist?: boolean; pageSize?: number } = {}): Database.Database {
  const db = new Database(path, {
    fileMustExist: options.fileMustExist ?? false,
    timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    ...nativeBindingOption(),
  });
  try {
    // Taken only by a file nothing was written to yet (a new store), and only before WAL mode.
    if (options.pageSize !== undefined) db.pragma(`page_size = ${options.pageSize}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new PermanentError('unsupported', `store ${path} cannot use WAL mode (got ${String(mode)})`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${CACHE_KIB}`);
    // Keeps the WAL file from staying huge after a burst; the next checkpoint truncates it to this.
    db.pragma('journal_size_limit = 16777216');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The SQLite result codes that mean the file itself is damaged (as opposed to busy, locked, read-only). */
export function damageOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return err instanceof Error ? err.message : code;
  }
  return undefined;
}

/**
 * A write the store could not make now but may later — the disk is full, or another connection holds the
 * lock past the busy timeout — as filesync's transient error, so that the caller waits and retries
 * instead of failing a file. Undefined for anything else, which keeps its own class and code.
 */
export function transientWriteError(err: unknown, path: string): FilesyncError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' ? classifyStoreError(err, path) : undefined;
}

/** Turns a SQLite or file-system error met while opening a store into filesync's error classes. */
export function classifyStoreError(err: unknown, path: string): FilesyncError {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new TransientError('busy', `store ${path} is locked by another process: ${message}`, { cause: err });
  }
  if (code === 'SQLITE_FULL') return new TransientError('no-space', `store ${path}: disk full`, { cause: err });
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'SQLITE_CANTOPEN') {
    return new PermanentError('permission', `store ${path} cannot be opened for writing: ${message}`, { cause: err });
  }
  return classifyErrno(err) ?? new PermanentError('internal', `store ${path}: ${message}`, { cause: err });
}
