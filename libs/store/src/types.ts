import type { FileIdentity, FileState, TargetState } from '@filesync/core';

/** One version of one source file, as the catalog keeps it. Absent values are `null` (SQL NULL). */
export interface FileRecord {
  readonly fileId: string;
  readonly sourceId: string;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly state: FileState;
  /** Bytes durably staged: staging fsyncs them before this is recorded. */
  readonly downloadOffset: number;
  readonly sha256: string | null;
  /** Why the file is in its current state (failed, skipped, vanished…); cleared by the next transition. */
  readonly reason: string | null;
  /** Failed attempts: times the file entered `failed`, and downloads that failed for this file's own reasons. */
  readonly attempts: number;
  readonly foundAt: number;
  readonly updatedAt: number;
  /** The earlier version of the same (source, path), when this one changed size or mtime. */
  readonly versionOf: string | null;
  /** Wall-clock ms before which the file is not tried again (its backoff after a failed attempt); 0 = at once. */
  readonly retryAt: number;
  /** The source's fingerprint of this version when the download began (`Source.stat`), where it has one. */
  readonly fingerprint: string | null;
  /** The device's own checksum of this version as `hash:value` (MAVFTP `mavlink-crc32:…`), recorded when staged. */
  readonly deviceChecksum: string | null;
}

/** One file on one target. */
export interface TargetRecord {
  readonly fileId: string;
  readonly targetId: string;
  readonly state: TargetState;
  /** Bytes the target has confirmed for the in-transit copy. */
  readonly offset: number;
  /** What the target returned on commit (a URL, a remote path). */
  readonly receipt: string | null;
  readonly reason: string | null;
  readonly attempts: number;
  readonly updatedAt: number;
}

export type CatalogEventKind =
  | 'file.found'
  | 'file.state'
  | 'file.download-reset'
  | 'file.grew'
  | 'target.state'
  | 'target.upload-reset';

/** A row of the append-only history. */
export interface CatalogEvent {
  readonly id: number;
  readonly at: number;
  readonly fileId: string;
  readonly targetId: string | null;
  readonly kind: CatalogEventKind;
  readonly fromState: string | null;
  readonly toState: string | null;
  readonly detail: Record<string, unknown> | null;
}

/**
 * Changes that travel with a file transition. Offsets change only when given (never implicitly);
 * `reason` describes the new state and is cleared when not given; entering `failed` counts one attempt
 * unless `attempts` is given.
 */
export interface FilePatch {
  readonly downloadOffset?: number;
  readonly sha256?: string | null;
  readonly reason?: string | null;
  readonly attempts?: number;
  /** Kept when not given. */
  readonly retryAt?: number;
  /** What the downloader observed of the source version; kept unless given. */
  readonly fingerprint?: string | null;
  readonly deviceChecksum?: string | null;
  /** Stored in the event row only. */
  readonly detail?: Record<string, unknown>;
}

/** Changes that travel with a target transition; same rules as {@link FilePatch}. */
export interface TargetPatch {
  readonly offset?: number;
  readonly receipt?: string | null;
  readonly reason?: string | null;
  readonly attempts?: number;
  readonly detail?: Record<string, unknown>;
}

export interface ProgressOptions {
  /** Lets the offset go backwards (the staged or in-transit copy lost bytes); writes a reset event. */
  readonly reset?: boolean;
}

export interface ListFilesQuery {
  readonly state?: FileState;
  readonly sourceId?: string;
  /** At most this many rows, oldest found first. */
  readonly limit?: number;
}

/** One entry of a listing for {@link Catalog.recordFoundBatch}: the file and the targets its routes name. */
export interface FoundEntry {
  readonly identity: FileIdentity;
  readonly targets: readonly string[];
}

/**
 * What {@link Catalog.recordFound} answers for one listed entry: the row that stands for it, whether
 * that row is new, the row it grew from, and whether the known row is `vanished` (seen again).
 */
export interface FoundAnswer {
  readonly fileId: string;
  readonly isNew: boolean;
  readonly grew?: string;
  readonly vanished?: true;
}

/** {@link Catalog.foundInOrder}: a page of one source's `found` files in download order. */
export interface FoundOrderQuery {
  readonly sourceId: string;
  /** Files at most this large come before larger ones. */
  readonly smallFileBytes: number;
  readonly order: 'oldest-first' | 'newest-first';
  /** Files whose `retryAt` is after this (wall ms) are left out: they step aside. */
  readonly now: number;
  readonly limit: number;
  readonly offset?: number;
}

export interface CatalogCounts {
  readonly files: Readonly<Record<FileState, number>>;
  readonly bySource: Readonly<Record<string, Readonly<Record<FileState, number>>>>;
  readonly byTarget: Readonly<Record<string, Readonly<Record<TargetState, number>>>>;
}

/** Files (or target rows) in one state and their bytes. */
export interface StateTotal {
  readonly files: number;
  /** Sum of the files' sizes. */
  readonly bytes: number;
  /** Bytes done of them: durable download offsets (per source) or confirmed upload offsets (per target). */
  readonly doneBytes: number;
}

/** Times files entered `failed`, by where and by the error code the pipeline recorded (`unknown` before codes were recorded). */
export interface FailureCount {
  readonly stage: 'download' | 'upload';
  /** Source id for a download, target id for an upload. */
  readonly device: string;
  readonly code: string;
  readonly count: number;
}

/** What metrics scrape (see `Catalog.totals`); a state with no rows is absent. */
export interface CatalogTotals {
  readonly sources: Readonly<Record<string, Readonly<Partial<Record<FileState, StateTotal>>>>>;
  readonly targets: Readonly<Record<string, Readonly<Partial<Record<TargetState, StateTotal>>>>>;
  readonly failures: readonly FailureCount[];
  /** Size of the database file (pages × page size; the WAL not counted). */
  readonly databaseBytes: number;
}

/** A copy already on a target with the same content (the uploader's earlier version of a file). */
export interface UploadedCopy {
  readonly fileId: string;
  readonly sourceId: string;
  readonly path: string;
  readonly receipt: string | null;
}

export interface RescanRequest {
  readonly at: number;
  readonly reason: string;
}

export interface RepairReport {
  readonly action: 'restored-backup' | 'fresh';
  /** What was wrong with the store, in words. */
  readonly reason: string;
  /** Damaged files, renamed with a `.corrupt-<timestamp>` suffix (never deleted). */
  readonly movedAside: readonly string[];
  /** The backup file the store was restored from. */
  readonly backupUsed?: string;
  /** Backups that failed their own check and were passed over. */
  readonly backupsRejected?: readonly string[];
  readonly at: number;
}

export interface BackupResult {
  /** The new backup, newest first in `kept`. */
  readonly path: string;
  readonly kept: readonly string[];
  readonly removed: readonly string[];
}

export type StoreLogLevel = 'info' | 'warn' | 'error';
/** Optional sink for what the store does on its own (repairs, backups); no stack traces for expected faults. */
export type StoreLogger = (level: StoreLogLevel, message: string, detail?: Record<string, unknown>) => void;
