import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openCatalog } from './open-catalog';
import { openConnection } from './connection';
import { migrate } from './migrations';
import { FAILURES_SQL } from './totals';
import { identity, tempDirs } from './testing/fixtures';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

const SHA = 'b'.repeat(64);

describe('Catalog.totals', () => {
  it('sums files and bytes per source and state, target rows per target and state, and failures by code, from a real SQLite file', () => {
    const path = join(dirs.make(), 'catalog.db');
    const { catalog } = openCatalog(path);
    try {
      // Three files of px4 (sizes 1001, 1002, 1003) and one of flir (size 1004), each for targets ftp and review.
      const ids = [1, 2, 3].map((n) => catalog.recordFound(identity(n), ['ftp', 'review']).fileId);
      const flir = catalog.recordFound(identity(4, { sourceId: 'flir' }), ['ftp', 'review']).fileId;
      const [delivered, downloading, failed] = ids as [string, string, string];
      // One delivered everywhere.
      catalog.transitionFile(delivered, 'downloading');
      catalog.recordDownloadProgress(delivered, 1001);
      catalog.transitionFile(delivered, 'staged', { sha256: SHA });
      for (const t of ['ftp', 'review']) {
        catalog.transitionTarget(delivered, t, 'uploading');
        catalog.transitionTarget(delivered, t, 'uploaded', { offset: 1001, receipt: `${t}:x` });
      }
      catalog.transitionFile(delivered, 'delivered');
      // One half downloaded.
      catalog.transitionFile(downloading, 'downloading');
      catalog.recordDownloadProgress(downloading, 500);
      // One failed twice on download (a code recorded each time, as the pipeline does), retried in between.
      catalog.transitionFile(failed, 'failed', { reason: 'gone', detail: { code: 'not-found' } });
      catalog.transitionFile(failed, 'found');
      catalog.transitionFile(failed, 'failed', { reason: 'gone again', detail: { code: 'not-found' } });
      // flir's file fails on one target, once with a code and once from before codes were recorded.
      catalog.transitionFile(flir, 'downloading');
      catalog.recordDownloadProgress(flir, 1004);
      catalog.transitionFile(flir, 'staged', { sha256: SHA });
      catalog.transitionTarget(flir, 'ftp', 'uploading');
      catalog.recordUploadProgress(flir, 'ftp', 300);
      catalog.transitionTarget(flir, 'ftp', 'failed', { reason: 'disk full', detail: { code: 'no-space' } });
      catalog.transitionTarget(flir, 'review', 'failed', { reason: 'old' });

      const totals = catalog.totals();
      expect(totals.sources).toEqual({
        px4: {
          delivered: { files: 1, bytes: 1001, doneBytes: 1001 },
          downloading: { files: 1, bytes: 1002, doneBytes: 500 },
          failed: { files: 1, bytes: 1003, doneBytes: 0 },
        },
        flir: { staged: { files: 1, bytes: 1004, doneBytes: 1004 } },
      });
      expect(totals.targets).toEqual({
        ftp: {
          uploaded: { files: 1, bytes: 1001, doneBytes: 1001 },
          pending: { files: 2, bytes: 1002 + 1003, doneBytes: 0 },
          failed: { files: 1, bytes: 1004, doneBytes: 300 },
        },
        review: {
          uploaded: { files: 1, bytes: 1001, doneBytes: 1001 },
          pending: { files: 2, bytes: 1002 + 1003, doneBytes: 0 },
          failed: { files: 1, bytes: 1004, doneBytes: 0 },
        },
      });
      expect([...totals.failures].sort((a, b) => a.device.localeCompare(b.device) || a.code.localeCompare(b.code))).toEqual([
        { stage: 'upload', device: 'ftp', code: 'no-space', count: 1 },
        { stage: 'download', device: 'px4', code: 'not-found', count: 2 },
        { stage: 'upload', device: 'review', code: 'unknown', count: 1 },
      ]);
      expect(totals.databaseBytes).toBeGreaterThan(0);
    } finally {
      catalog.close();
    }
  });

  it('on a store from before v6, the target rows get their files\' sizes', () => {
    const path = join(dirs.make(), 'catalog.db');
    const db = openConnection(path);
    migrate(db, 5);
    db.prepare(`INSERT INTO files (file_id, source_id, path, size, mtime_ms, state, found_at, updated_at) VALUES ('old', 'px4', 'a.ulg', 4242, 5, 'staged', 1, 1)`).run();
    db.prepare(`INSERT INTO file_targets (file_id, target_id, state, updated_at) VALUES ('old', 'ftp', 'pending', 1)`).run();
    db.close();
    const { catalog } = openCatalog(path);
    try {
      expect(catalog.totals().targets).toEqual({ ftp: { pending: { files: 1, bytes: 4242, doneBytes: 0 } } });
    } finally {
      catalog.close();
    }
  });

  it('counts failures through the partial index, not by scanning the history', () => {
    const path = join(dirs.make(), 'catalog.db');
    openCatalog(path).catalog.close();
    const db = openConnection(path);
    try {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${FAILURES_SQL}`).all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join('\n')).toMatch(/events_failed/);
    } finally {
      db.close();
    }
  });
});
