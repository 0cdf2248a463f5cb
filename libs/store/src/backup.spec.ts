import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkBackupFile } from './backup';
import { openCatalog } from './open-catalog';
import { backupTempPath, listBackups } from './store-files';
import { identity, tempDirs } from './testing/fixtures';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

describe('rotating backup', () => {
  it('keeps the newest N checked, self-contained copies, newest first', async () => {
    const dir = dirs.make();
    const path = join(dir, 'catalog.db');
    const { catalog } = openCatalog(path, { backupsKept: 2 });
    const results = [];
    for (let n = 1; n <= 4; n++) {
      catalog.recordFound(identity(n), ['a']);
      results.push(await catalog.backup());
    }
    expect(results.map((r) => basename(r.path))).toEqual(['catalog.db.backup-1', 'catalog.db.backup-2', 'catalog.db.backup-3', 'catalog.db.backup-4']);
    expect(results[3]?.kept.map((p) => basename(p))).toEqual(['catalog.db.backup-4', 'catalog.db.backup-3']);
    expect(results[3]?.removed.map((p) => basename(p))).toEqual(['catalog.db.backup-2']);
    expect(listBackups(path).map((b) => b.n)).toEqual([4, 3]);
    // one file each: no -wal/-shm beside a backup, no temp left
    expect(readdirSync(dir).filter((f) => f.includes('backup')).sort()).toEqual(['catalog.db.backup-3', 'catalog.db.backup-4']);
    for (const b of listBackups(path)) expect(checkBackupFile(b.path)).toBeUndefined();
    // each backup holds the store as it was when taken
    const newest = new Database(listBackups(path)[0]!.path, { readonly: true });
    const oldest = new Database(listBackups(path)[1]!.path, { readonly: true });
    expect(newest.prepare('SELECT count(*) AS n FROM files').get()).toEqual({ n: 4 });
    expect(oldest.prepare('SELECT count(*) AS n FROM files').get()).toEqual({ n: 3 });
    expect(newest.pragma('journal_mode', { simple: true })).toBe('delete');
    newest.close();
    oldest.close();
    catalog.close();
  });

  it('replaces a temp file left by a crash during an earlier backup', async () => {
    const path = join(dirs.make(), 'catalog.db');
    const { catalog } = openCatalog(path);
    writeFileSync(backupTempPath(path), 'half a backup');
    writeFileSync(`${backupTempPath(path)}-wal`, 'stale');
    const result = await catalog.backup();
    expect(checkBackupFile(result.path)).toBeUndefined();
    expect(existsSync(backupTempPath(path))).toBe(false);
    expect(existsSync(`${backupTempPath(path)}-wal`)).toBe(false);
    catalog.close();
  });

  it('runs concurrent backups one after another', async () => {
    const path = join(dirs.make(), 'catalog.db');
    const { catalog } = openCatalog(path, { backupsKept: 5 });
    catalog.recordFound(identity(1), []);
    const all = await Promise.all([catalog.backup(), catalog.backup(), catalog.backup()]);
    expect(all.map((r) => basename(r.path))).toEqual(['catalog.db.backup-1', 'catalog.db.backup-2', 'catalog.db.backup-3']);
    catalog.close();
  });

  it('rejects a damaged backup file when checking it', () => {
    const path = join(dirs.make(), 'x.backup-1');
    writeFileSync(path, Buffer.alloc(4096, 0x42));
    expect(checkBackupFile(path)).toMatch(/not a database/);
  });
});
