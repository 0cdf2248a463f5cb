import type { FileState, TargetState } from '@filesync/core';
import type { CatalogEvent, CatalogEventKind, FileRecord, TargetRecord } from './types';

/** Rows as SQLite returns them; mapped to records at the edge so callers never see column names. */
export interface FileRow {
  file_id: string;
  source_id: string;
  path: string;
  size: number;
  mtime_ms: number;
  state: FileState;
  download_offset: number;
  sha256: string | null;
  reason: string | null;
  attempts: number;
  found_at: number;
  updated_at: number;
  version_of: string | null;
  retry_at: number;
  fingerprint: string | null;
  device_checksum: string | null;
}

export interface TargetRow {
  file_id: string;
  target_id: string;
  state: TargetState;
  offset: number;
  receipt: string | null;
  reason: string | null;
  attempts: number;
  updated_at: number;
}

export interface EventRow {
  id: number;
  at: number;
  file_id: string;
  target_id: string | null;
  kind: CatalogEventKind;
  from_state: string | null;
  to_state: string | null;
  detail: string | null;
}

export function toFileRecord(row: FileRow): FileRecord {
  return {
    fileId: row.file_id,
    sourceId: row.source_id,
    path: row.path,
    size: row.size,
    mtimeMs: row.mtime_ms,
    state: row.state,
    downloadOffset: row.download_offset,
    sha256: row.sha256,
    reason: row.reason,
    attempts: row.attempts,
    foundAt: row.found_at,
    updatedAt: row.updated_at,
    versionOf: row.version_of,
    retryAt: row.retry_at,
    fingerprint: row.fingerprint,
    deviceChecksum: row.device_checksum,
  };
}

export function toTargetRecord(row: TargetRow): TargetRecord {
  return {
    fileId: row.file_id,
    targetId: row.target_id,
    state: row.state,
    offset: row.offset,
    receipt: row.receipt,
    reason: row.reason,
    attempts: row.attempts,
    updatedAt: row.updated_at,
  };
}

export function toCatalogEvent(row: EventRow): CatalogEvent {
  return {
    id: row.id,
    at: row.at,
    fileId: row.file_id,
    targetId: row.target_id,
    kind: row.kind,
    fromState: row.from_state,
    toState: row.to_state,
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
  };
}
