import type { Database, Statement } from 'better-sqlite3';
import type { FileState, TargetState } from '@filesync/core';
import type { CatalogTotals, FailureCount, StateTotal } from './types';

/** Entries into `failed` by target (NULL: the download), source and the recorded error code. */
export const FAILURES_SQL = `
  SELECT CASE WHEN e.target_id IS NULL THEN 'download' ELSE 'upload' END AS stage,
         coalesce(e.target_id, f.source_id) AS device,
         coalesce(json_extract(e.detail, '$.code'), 'unknown') AS code, count(*) AS n
  FROM events e JOIN files f ON f.file_id = e.file_id
  WHERE e.to_state = 'failed'
  GROUP BY stage, device, code`;

/**
 * The aggregates that metrics scrape: three GROUP BY queries, two of them reading only a covering
 * index in its order (see migration v6), none doing work per row in JavaScript. Failures are counted from the history (entries into `failed`), through the
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
    this.byTargetStmt = db.prepare(`
      SELECT target_id AS device, state, count(*) AS files, total(size) AS bytes, total(offset) AS done
      FROM file_targets GROUP BY target_id, state`);
    this.failuresStmt = db.prepare(FAILURES_SQL);
  }

  run(): CatalogTotals {
    type Row<S> = { device: string; state: S; files: number; bytes: number; done: number };
    const group = <S extends string>(rows: Row<S>[]): Record<string, Partial<Record<S, StateTotal>>> => {
      const out: Record<string, Partial<Record<S, StateTotal>>> = {};
      for (const r of rows) (out[r.device] ??= {})[r.state] = { files: r.files, bytes: r.bytes, doneBytes: r.done };
      return out;
    };
    const failures: FailureCount[] = (this.failuresStmt.all() as { stage: FailureCount['stage']; device: string; code: string; n: number }[]).map((r) => ({
      stage: r.stage,
      device: r.device,
      code: r.code,
      count: r.n,
    }));
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
