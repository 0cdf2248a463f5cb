import type { Database, Statement } from 'better-sqlite3';
import type { FileState, TargetState } from '@filesync/core';
import type { CatalogTotals, FailureCount, StateTotal } from './types';

/** Entries into `failed` by target (NULL: the download), source and the recorded error code. */
export const FAILURES_SQL = `
  SELECT e.target_id AS target, f.source_id AS source, coalesce(json_extract(e.detail, '$.code'), 'unknown') AS code, count(*) AS n
  FROM events e JOIN files f ON f.file_id = e.file_id
  WHERE e.to_state = 'failed'
  GROUP BY e.target_id, f.source_id, code`;

/**
 * The aggregates that metrics scrape: three GROUP BY queries, each one pass over its table (no work
 * per row in JavaScript). Failures are counted from the history (entries into `failed`), through the
 * partial index `events_failed`, so the count is a true counter (the history is append-only) and the
 * scan touches only failure events, however long the history grows.
 */
export class TotalsQuery {
  private readonly bySourceStmt: Statement;
  private readonly byTargetStmt: Statement;
  private readonly failuresStmt: Statement;

  constructor(private readonly db: Database) {
    this.bySourceStmt = db.prepare(`
      SELECT source_id AS device, state, count(*) AS files, total(size) AS bytes, total(download_offset) AS done
      FROM files GROUP BY source_id, state`);
    // The join looks up each target row's file by primary key: the bytes of a target row are its file's size.
    this.byTargetStmt = db.prepare(`
      SELECT t.target_id AS device, t.state, count(*) AS files, total(f.size) AS bytes, total(t.offset) AS done
      FROM file_targets t JOIN files f ON f.file_id = t.file_id GROUP BY t.target_id, t.state`);
    this.failuresStmt = db.prepare(FAILURES_SQL);
  }

  run(): CatalogTotals {
    type Row<S> = { device: string; state: S; files: number; bytes: number; done: number };
    const group = <S extends string>(rows: Row<S>[]): Record<string, Partial<Record<S, StateTotal>>> => {
      const out: Record<string, Partial<Record<S, StateTotal>>> = {};
      for (const r of rows) (out[r.device] ??= {})[r.state] = { files: r.files, bytes: r.bytes, doneBytes: r.done };
      return out;
    };
    const failures: FailureCount[] = (this.failuresStmt.all() as { target: string | null; source: string; code: string; n: number }[]).map((r) =>
      r.target === null ? { stage: 'download', device: r.source, code: r.code, count: r.n } : { stage: 'upload', device: r.target, code: r.code, count: r.n },
    );
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pageCount = this.db.pragma('page_count', { simple: true }) as number;
    return {
      sources: group(this.bySourceStmt.all() as Row<FileState>[]),
      targets: group(this.byTargetStmt.all() as Row<TargetState>[]),
      failures,
      databaseBytes: pageSize * pageCount,
    };
  }
}
