import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openConnection } from './connection';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate, schemaVersion } from './migrations';
import { openCatalog } from './open-catalog';
import { tempDirs } from './testing/fixtures';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

describe('migrations', () => {
  it('has one version per migration and creates new stores at the latest', () => {
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
    const path = join(dirs.make(), 'c.db');
    const { catalog, repair } = openCatalog(path);
    catalog.close();
    expect(repair).toBeUndefined();
    const db = openConnection(path);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    db.close();
  });

  it('upgrades a v1 store to the latest and keeps its rows', () => {
    const path = join(dirs.make(), 'c.db');
    const db = openConnection(path);
    expect(migrate(db, 1)).toBe(1);
    db.prepare(
      `INSERT INTO files (file_id, source_id, path, size, mtime_ms, state, found_at, updated_at)
       VALUES ('old', 'px4', 'log/1.ulg', 10, 5, 'downloading', 1, 1)`,
    ).run();
    db.prepare(`INSERT INTO file_targets (file_id, target_id, state, updated_at) VALUES ('old', 'ftp', 'pending', 1)`).run();
    const columnsV1 = (db.prepare('PRAGMA table_info(files)').all() as { name: string }[]).map((c) => c.name);
    expect(columnsV1).not.toContain('version_of');
    db.close();

    const { catalog, repair } = openCatalog(path);
    expect(repair).toBeUndefined();
    expect(catalog.getFile('old')).toMatchObject({ state: 'downloading', versionOf: null });
    catalog.transitionFile('old', 'staged', { sha256: 'a'.repeat(64), downloadOffset: 10 });
    // v2's version link works on the upgraded store
    const next = catalog.recordFound({ sourceId: 'px4', path: 'log/1.ulg', size: 20, mtimeMs: 6 }, ['ftp']);
    expect(catalog.getFile(next.fileId)?.versionOf).toBe('old');
    catalog.close();
    const after = openConnection(path);
    expect(schemaVersion(after)).toBe(LATEST_SCHEMA_VERSION);
    after.close();
  });

  it('drops the unused sha256 index (v4) and keeps the path index', () => {
    const path = join(dirs.make(), 'c.db');
    const db = openConnection(path);
    const indexes = (): string[] => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'files'").all() as { name: string }[]).map((r) => r.name);
    expect(migrate(db, 3)).toBe(3);
    expect(indexes()).toContain('files_by_sha256');
    expect(migrate(db, 4)).toBe(4);
    expect(indexes()).not.toContain('files_by_sha256');
    expect(indexes()).toContain('files_by_source_path');
    db.close();
  });

  it('rolls a failing migration back whole and leaves the version where it was', () => {
    const path = join(dirs.make(), 'c.db');
    const db = openConnection(path);
    migrate(db, 1);
    db.exec('CREATE INDEX files_by_source_path ON files (path)'); // collides with what v2 creates
    expect(() => migrate(db)).toThrow(/already exists/);
    expect(schemaVersion(db)).toBe(1);
    const columns = (db.prepare('PRAGMA table_info(files)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).not.toContain('version_of'); // v2's first statement was rolled back too
    db.close();
  });

  it('refuses a store from a newer filesync with a clear error, and leaves it in place', () => {
    const path = join(dirs.make(), 'c.db');
    openCatalog(path).catalog.close();
    const db = openConnection(path);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openCatalog(path)).toThrow(
      expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/newer than this filesync knows/) }),
    );
    const still = openConnection(path);
    expect(schemaVersion(still)).toBe(LATEST_SCHEMA_VERSION + 1);
    still.close();
  });
});
