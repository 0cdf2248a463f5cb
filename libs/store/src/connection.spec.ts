import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openConnection } from './connection';
import { tempDirs } from './testing/fixtures';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

describe('a catalog connection', () => {
  it('keeps at most 2 MB of pages cached (better-sqlite3 builds SQLite with 16 MB), with the durability settings', () => {
    const db = openConnection(join(dirs.make(), 'store.db'));
    try {
      expect(db.pragma('cache_size', { simple: true })).toBe(-2000);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      // 2 = FULL: each commit fsyncs the WAL.
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });
});
