import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ManualClock } from '@filesync/core';
import { migrate } from './migrations';
import { openCatalog } from './open-catalog';
import type { OpenedCatalog } from './open-catalog';
import { identity, tempDirs } from './testing/fixtures';
import type { StoreLogLevel } from './types';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

const GARBAGE = Buffer.alloc(16384, 0x5a);

interface Setup {
  dir: string;
  path: string;
  /** fileIds recorded before the backup (present in it) and after it (only in the damaged store). */
  inBackup: string[];
  afterBackup: string[];
}

/** A store with `files` files, optionally backed up halfway, closed cleanly. */
async function makeStore(files: number, withBackup: boolean): Promise<Setup> {
  const dir = dirs.make();
  const path = join(dir, 'catalog.db');
  const { catalog } = openCatalog(path);
  const inBackup: string[] = [];
  const afterBackup: string[] = [];
  for (let n = 0; n < files; n++) {
    const id = catalog.recordFound(identity(n), ['ftp']).fileId;
    if (n < files / 2 || !withBackup) inBackup.push(id);
    else afterBackup.push(id);
    if (withBackup && n + 1 === Math.ceil(files / 2)) await catalog.backup();
  }
  catalog.close();
  return { dir, path, inBackup: withBackup ? inBackup : [], afterBackup: withBackup ? afterBackup : inBackup };
}

function openLogged(path: string): OpenedCatalog & { logs: [StoreLogLevel, string][] } {
  const logs: [StoreLogLevel, string][] = [];
  const opened = openCatalog(path, { clock: new ManualClock(Date.UTC(2026, 10, 25, 8, 30)), log: (level, message) => logs.push([level, message]) });
  return { ...opened, logs };
}

/** What every repair must leave: a usable catalog, a rescan request, the report stored, and a clean next start. */
function expectUsableAfterRepair(opened: OpenedCatalog, path: string): void {
  const { catalog } = opened;
  expect(catalog.checkIntegrity()).toEqual([]);
  expect(catalog.takeRescanRequest()?.reason).toMatch(/^store repaired: /);
  expect(catalog.lastRepair()).toEqual(opened.repair);
  const id = catalog.recordFound(identity(9999), ['ftp']).fileId;
  catalog.transitionFile(id, 'downloading');
  catalog.close();
  const again = openCatalog(path);
  expect(again.repair).toBeUndefined();
  expect(again.catalog.getFile(id)?.state).toBe('downloading');
  again.catalog.close();
}

describe('openCatalog repairs a damaged store', () => {
  it('overwritten with garbage, no backup: moves it aside, starts fresh, asks for a rescan', async () => {
    const { dir, path } = await makeStore(20, false);
    writeFileSync(path, GARBAGE);
    const opened = openLogged(path);
    expect(opened.repair).toMatchObject({ action: 'fresh', reason: 'file is not a database' });
    expect(opened.repair?.backupUsed).toBeUndefined();
    expect(opened.repair?.movedAside.map((p) => basename(p))).toEqual(['catalog.db.corrupt-20261125T083000000Z']);
    expect(readFileSync(join(dir, 'catalog.db.corrupt-20261125T083000000Z')).equals(GARBAGE)).toBe(true); // kept, byte for byte
    expect(opened.catalog.listFiles()).toEqual([]);
    expect(opened.logs.some(([level, m]) => level === 'warn' && /recreated empty/.test(m))).toBe(true);
    expect(opened.logs.every(([, m]) => !/\n\s+at /.test(m))).toBe(true); // no stack traces
    expectUsableAfterRepair(opened, path);
  });

  it('overwritten with garbage, with a backup: restores the backup', async () => {
    const setup = await makeStore(20, true);
    writeFileSync(setup.path, GARBAGE);
    const opened = openLogged(setup.path);
    expect(opened.repair).toMatchObject({ action: 'restored-backup', backupUsed: `${setup.path}.backup-1` });
    expect(opened.catalog.listFiles().map((f) => f.fileId).sort()).toEqual([...setup.inBackup].sort());
    expect(existsSync(`${setup.path}.backup-1`)).toBe(true); // the backup itself is kept
    expectUsableAfterRepair(opened, setup.path);
  });

  it('truncated to half, no backup', async () => {
    const { path } = await makeStore(400, false);
    truncateSync(path, Math.floor(statSync(path).size / 2));
    const opened = openLogged(path);
    expect(opened.repair?.action).toBe('fresh');
    expect(opened.repair?.reason).toMatch(/malformed|integrity check failed/);
    expect(statSync(opened.repair!.movedAside[0]!).size).toBeGreaterThan(0);
    expectUsableAfterRepair(opened, path);
  });

  it('truncated to half, with a backup', async () => {
    const setup = await makeStore(400, true);
    truncateSync(setup.path, Math.floor(statSync(setup.path).size / 2));
    const opened = openLogged(setup.path);
    expect(opened.repair?.action).toBe('restored-backup');
    expect(opened.catalog.listFiles()).toHaveLength(setup.inBackup.length);
    expectUsableAfterRepair(opened, setup.path);
  });

  it.each([false, true])('deleted with its WAL left behind (backup: %s): moves the stray WAL aside instead of replaying it', async (withBackup) => {
    const dir = dirs.make();
    const path = join(dir, 'catalog.db');
    const { catalog } = openCatalog(path);
    if (withBackup) {
      catalog.recordFound(identity(1), ['ftp']);
      await catalog.backup();
    }
    for (let n = 2; n < 30; n++) catalog.recordFound(identity(n), ['ftp']);
    copyFileSync(`${path}-wal`, join(dir, 'saved-wal')); // the WAL as a crash would leave it
    catalog.close();
    unlinkSync(path);
    renameSync(join(dir, 'saved-wal'), `${path}-wal`);
    const walBytes = readFileSync(`${path}-wal`);
    expect(walBytes.length).toBeGreaterThan(0);

    const opened = openLogged(path);
    expect(opened.repair?.reason).toBe('store file is missing but catalog.db-wal remained');
    expect(opened.repair?.action).toBe(withBackup ? 'restored-backup' : 'fresh');
    expect(opened.repair?.movedAside.map((p) => basename(p))).toEqual(['catalog.db-wal.corrupt-20261125T083000000Z']);
    expect(readFileSync(opened.repair!.movedAside[0]!).equals(walBytes)).toBe(true);
    expect(opened.catalog.listFiles()).toHaveLength(withBackup ? 1 : 0);
    expectUsableAfterRepair(opened, path);
  });

  it('deleted outright while backups exist: restores the newest', async () => {
    const setup = await makeStore(10, true);
    unlinkSync(setup.path);
    const opened = openLogged(setup.path);
    expect(opened.repair).toMatchObject({ action: 'restored-backup', reason: 'store file is missing while backups of it exist', movedAside: [] });
    expect(opened.catalog.listFiles()).toHaveLength(setup.inBackup.length);
    expectUsableAfterRepair(opened, setup.path);
  });

  it('passes over a damaged newest backup and restores the older one', async () => {
    const dir = dirs.make();
    const path = join(dir, 'catalog.db');
    const { catalog } = openCatalog(path);
    catalog.recordFound(identity(1), []);
    await catalog.backup();
    catalog.recordFound(identity(2), []);
    await catalog.backup();
    catalog.close();
    writeFileSync(`${path}.backup-2`, GARBAGE);
    writeFileSync(path, GARBAGE);
    const opened = openLogged(path);
    expect(opened.repair).toMatchObject({ action: 'restored-backup', backupUsed: `${path}.backup-1`, backupsRejected: [`${path}.backup-2`] });
    expect(opened.catalog.listFiles()).toHaveLength(1);
    expect(opened.logs.some(([, m]) => m.startsWith(`backup ${path}.backup-2 is unusable`))).toBe(true);
    expectUsableAfterRepair(opened, path);
  });

  it('an empty (0-byte) store file or another program\'s database counts as damaged too', () => {
    const dir = dirs.make();
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    const a = openLogged(empty);
    expect(a.repair?.reason).toMatch(/schema version 0/);
    expectUsableAfterRepair(a, empty);

    const foreign = join(dir, 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE other (x)');
    db.close();
    const b = openLogged(foreign);
    expect(b.repair?.action).toBe('fresh');
    expect(new Database(b.repair!.movedAside[0]!).prepare("SELECT name FROM sqlite_schema").all()).toEqual([{ name: 'other' }]);
    expectUsableAfterRepair(b, foreign);
  });

  /**
   * Makes the one entry of the `files_by_state` index disagree with its row, and only that: its state
   * `found` becomes `fouNd` in the index page, the b-tree stays well formed (the fault `quick_check`
   * does not see and `integrity_check` does). The store must hold one file and no WAL, and has none after.
   */
  function staleIndex(path: string): void {
    // Not read-only: a read-only connection cannot delete the WAL when it closes, and would leave one behind.
    const db = new Database(path);
    const root = db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'files_by_state'").pluck().get() as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const bytes = readFileSync(path);
    const page = bytes.subarray((root - 1) * pageSize, root * pageSize);
    const at = page.indexOf('found');
    expect(at).toBeGreaterThan(0);
    page[at + 3] = 'N'.charCodeAt(0);
    writeFileSync(path, bytes);
  }

  it('after an unclean stop (a WAL left behind), finds an index that disagrees with its table, and repairs', async () => {
    const { dir, path } = await makeStore(1, false);
    staleIndex(path);
    // A power cut's image: a connection has committed to the WAL, which no clean close has folded in and deleted.
    const crashed = join(dir, 'crashed.db');
    const holder = new Database(path);
    holder.exec("INSERT INTO meta (key, value) VALUES ('test', '1')");
    copyFileSync(path, crashed);
    copyFileSync(`${path}-wal`, `${crashed}-wal`);
    holder.close();
    const opened = openLogged(crashed);
    expect(opened.repair?.reason).toMatch(/integrity check failed: row 1 missing from index files_by_state/);
    expectUsableAfterRepair(opened, crashed);
  });

  it('after a clean stop, starts with the quick check, which leaves an index fault to the full check that doctor runs', async () => {
    const { path } = await makeStore(1, false);
    staleIndex(path);
    const opened = openCatalog(path);
    expect(opened.repair).toBeUndefined();
    expect(opened.catalog.checkIntegrity()).toEqual(['row 1 missing from index files_by_state']);
    opened.catalog.close();
  });

  it('creates a new store without calling it a repair, and never leaves a half-made one', () => {
    const dir = dirs.make();
    const path = join(dir, 'sub', 'catalog.db');
    const opened = openCatalog(path);
    expect(opened.repair).toBeUndefined();
    expect(opened.catalog.takeRescanRequest()).toBeUndefined();
    opened.catalog.close();
    expect(readdirSync(join(dir, 'sub'))).toEqual(['catalog.db']);
  });

  it('makes a new store with 1 KiB pages (half the bytes written a file) and keeps the 4 KiB pages of a store made before', () => {
    const dir = dirs.make();
    const fresh = join(dir, 'new.db');
    openCatalog(fresh).catalog.close();
    const pageSize = (path: string): unknown => {
      const db = new Database(path, { readonly: true });
      try {
        return db.pragma('page_size', { simple: true });
      } finally {
        db.close();
      }
    };
    expect(pageSize(fresh)).toBe(1024);
    // A store from before: SQLite's default page size, migrated as createFreshStore did then.
    const older = join(dir, 'older.db');
    const legacy = new Database(older);
    legacy.pragma('journal_mode = WAL');
    migrate(legacy);
    legacy.close();
    expect(pageSize(older)).toBe(4096);
    const opened = openCatalog(older);
    expect(opened.repair).toBeUndefined();
    const { fileId } = opened.catalog.recordFound(identity(1), ['nas']);
    opened.catalog.close();
    expect(pageSize(older)).toBe(4096);
    const again = openCatalog(older);
    expect(again.catalog.getFile(fileId)?.state).toBe('found');
    again.catalog.close();
  });

  it('fails with a clear error, and moves nothing, for faults a repair cannot cure', () => {
    const dir = dirs.make();
    const path = join(dir, 'is-a-dir.db');
    mkdirSync(path);
    let error: unknown;
    try {
      openCatalog(path);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ name: 'PermanentError', code: 'permission' });
    expect((error as Error).message).toMatch(/^store .*is-a-dir\.db cannot be opened for writing/);
    expect(readdirSync(dir)).toEqual(['is-a-dir.db']);
  });
});
