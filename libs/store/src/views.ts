import type { Database, Statement } from 'better-sqlite3';
import type { FileState } from '@filesync/core';
import { toFileRecord, toTargetRecord } from './rows';
import type { FileRow, TargetRow } from './rows';
import type { FileRecord, TargetRecord } from './types';

/**
 * Read-only queries for status pages: pages of files and deliveries, searched by path, counted in
 * SQL so a catalog of 10,000 files never travels whole to a browser.
 */
export interface FilePageQuery {
  /** A file state, or `problems`: files failed themselves or on some target (what retry acts on). */
  readonly state?: FileState | 'problems';
  /** Case-insensitive part of the path. */
  readonly text?: string;
  readonly offset: number;
  readonly limit: number;
}

export interface Page<T> {
  /** Rows matching the query, all pages together. */
  readonly total: number;
  readonly rows: readonly T[];
}

export interface Delivery {
  readonly file: FileRecord;
  readonly target: TargetRecord;
}

/** Bytes the catalog says have been staged and sent so far (in-flight offsets plus finished sizes). */
export interface MovedBytes {
  readonly downloaded: number;
  readonly uploaded: number;
}

// instr() rather than LIKE: a path with % or _ needs no escaping, and lower() makes it case-blind for ASCII.
const TEXT = `(? = '' OR instr(lower(f.path), lower(?)) > 0)`;
const PROBLEMS = `(f.state = 'failed' OR EXISTS (SELECT 1 FROM file_targets t WHERE t.file_id = f.file_id AND t.state = 'failed'))`;

export class CatalogViews {
  private readonly cache = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  /** Files matching the query, most recently changed first. */
  files(query: FilePageQuery): Page<FileRecord> {
    const text = query.text ?? '';
    const where = [TEXT];
    const params: (string | number)[] = [text, text];
    if (query.state === 'problems') where.push(PROBLEMS);
    else if (query.state !== undefined) {
      where.push('f.state = ?');
      params.push(query.state);
    }
    const from = `FROM files f WHERE ${where.join(' AND ')}`;
    const total = (this.prepare(`SELECT count(*) AS n ${from}`).get(...params) as { n: number }).n;
    const rows = this.prepare(`SELECT f.* ${from} ORDER BY f.updated_at DESC, f.file_id LIMIT ? OFFSET ?`).all(...params, query.limit, query.offset) as FileRow[];
    return { total, rows: rows.map(toFileRecord) };
  }

  /** Copies confirmed by their targets, newest first, with the file they are of. */
  deliveries(query: Omit<FilePageQuery, 'state'>): Page<Delivery> {
    const text = query.text ?? '';
    const from = `FROM file_targets t JOIN files f ON f.file_id = t.file_id WHERE t.state = 'uploaded' AND ${TEXT}`;
    const total = (this.prepare(`SELECT count(*) AS n ${from}`).get(text, text) as { n: number }).n;
    const rows = this.prepare(
      `SELECT f.*, t.target_id AS t_target_id, t.state AS t_state, t.offset AS t_offset, t.receipt AS t_receipt,
              t.reason AS t_reason, t.attempts AS t_attempts, t.updated_at AS t_updated_at
       ${from} ORDER BY t.updated_at DESC, f.file_id, t.target_id LIMIT ? OFFSET ?`,
    ).all(text, text, query.limit, query.offset) as (FileRow & PrefixedTarget)[];
    return { total, rows: rows.map((r) => ({ file: toFileRecord(r), target: unprefix(r) })) };
  }

  /** Target rows being uploaded now (at most `limit`). */
  uploading(limit: number): TargetRecord[] {
    return (this.prepare(`SELECT * FROM file_targets WHERE state = 'uploading' ORDER BY updated_at LIMIT ?`).all(limit) as TargetRow[]).map(toTargetRecord);
  }

  /**
   * A counter that only grows while bytes move: a throughput gauge takes its differences. A reset
   * (a lost staged copy) makes it go back; the reader clamps that to zero.
   */
  movedBytes(): MovedBytes {
    const downloaded = this.prepare(
      `SELECT coalesce(sum(CASE WHEN state = 'downloading' THEN download_offset
                                WHEN state IN ('staged', 'delivered', 'removed') THEN size ELSE 0 END), 0) AS n FROM files`,
    ).get() as { n: number };
    const uploaded = this.prepare(
      `SELECT coalesce(sum(CASE t.state WHEN 'uploading' THEN t.offset WHEN 'uploaded' THEN f.size ELSE 0 END), 0) AS n
       FROM file_targets t JOIN files f ON f.file_id = t.file_id`,
    ).get() as { n: number };
    return { downloaded: downloaded.n, uploaded: uploaded.n };
  }

  private prepare(sql: string): Statement {
    let statement = this.cache.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }
}

interface PrefixedTarget {
  t_target_id: string;
  t_state: TargetRow['state'];
  t_offset: number;
  t_receipt: string | null;
  t_reason: string | null;
  t_attempts: number;
  t_updated_at: number;
}

function unprefix(r: FileRow & PrefixedTarget): TargetRecord {
  return toTargetRecord({
    file_id: r.file_id,
    target_id: r.t_target_id,
    state: r.t_state,
    offset: r.t_offset,
    receipt: r.t_receipt,
    reason: r.t_reason,
    attempts: r.t_attempts,
    updated_at: r.t_updated_at,
  });
}
