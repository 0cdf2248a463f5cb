import type Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { PermanentError, systemClock } from '@filesync/core';
import { Catalog } from './catalog';
import type { CatalogOptions } from './catalog';
import { classifyStoreError, damageOf, openConnection } from './connection';
import { storeProblem } from './integrity';
import { META_KEYS, writeMeta } from './meta';
import { LATEST_SCHEMA_VERSION, migrate, schemaVersion } from './migrations';
import { createFreshStore, moveAside, restoreNewestBackup } from './repair';
import { listBackups, sidecarPaths } from './store-files';
import type { RepairReport } from './types';

export interface OpenCatalogOptions extends CatalogOptions {
  /** How long a write waits for another process's lock (SQLite busy_timeout); default 5000 ms. */
  readonly busyTimeoutMs?: number;
}

export interface OpenedCatalog {
  readonly catalog: Catalog;
  /** Set when the store was damaged and had to be repaired; undefined on a normal start. */
  readonly repair: RepairReport | undefined;
}

/**
 * Opens (or creates) the catalog at `path`. Never fails on a damaged store: a file that is not a
 * database, fails SQLite's integrity check (the full one after an unclean stop, else the quick one),
 * lacks its schema, or is missing while its -wal/-shm or backups remain, is moved aside (renamed
 * `.corrupt-<timestamp>`), replaced by the newest backup that passes its own check or else by a
 * fresh store, and a rescan is requested so the sources fill in what the catalog lost. Throws only for faults a repair cannot cure (permissions, a lock held too
 * long, a store from a newer filesync), as `PermanentError`/`TransientError` with a clear message.
 */
export function openCatalog(path: string, options: OpenCatalogOptions = {}): OpenedCatalog {
  const storePath = resolve(path);
  try {
    mkdirSync(dirname(storePath), { recursive: true });
    const opened = openOrDiagnose(storePath, options);
    if ('db' in opened) return { catalog: new Catalog(opened.db, storePath, options), repair: undefined };
    const { db, report } = repair(storePath, opened.damage, options);
    return { catalog: new Catalog(db, storePath, options), repair: report };
  } catch (err) {
    throw classifyStoreError(err, storePath);
  }
}

type Diagnosis = { db: Database.Database } | { damage: string };

function openOrDiagnose(storePath: string, options: OpenCatalogOptions): Diagnosis {
  // The last connection to close a store deletes its WAL: one left behind means the last run did not
  // stop cleanly (a crash, a power cut), which is when a store gets damaged, so only then is the full
  // check worth its time at start-up; after a clean stop the quick one finds a torn or overwritten
  // page. `filesync doctor` always runs the full check.
  const check = existsSync(`${storePath}-wal`) ? 'full' : 'quick';
  if (!existsSync(storePath)) {
    // Opening a fresh database beside a stray WAL would make SQLite replay that WAL onto nothing.
    const strays = sidecarPaths(storePath).filter((p) => existsSync(p));
    if (strays.length > 0) return { damage: `store file is missing but ${strays.map((p) => basename(p)).join(', ')} remained` };
    if (listBackups(storePath).length > 0) return { damage: 'store file is missing while backups of it exist' };
    createFreshStore(storePath, options.busyTimeoutMs);
  }
  let db: Database.Database | undefined;
  try {
    db = openConnection(storePath, { ...connectionOptions(options), fileMustExist: true });
    const version = schemaVersion(db);
    if (version > LATEST_SCHEMA_VERSION) {
      throw new PermanentError(
        'unsupported',
        `store ${storePath} has schema version ${version}, newer than this filesync knows (${LATEST_SCHEMA_VERSION}); upgrade filesync or point it at another store`,
      );
    }
    const problem = storeProblem(db, check);
    if (problem !== undefined) {
      db.close();
      return { damage: problem };
    }
    migrate(db);
    return { db };
  } catch (err) {
    if (db?.open) db.close();
    const damage = damageOf(err);
    if (damage !== undefined) return { damage };
    throw err;
  }
}

function repair(storePath: string, damage: string, options: OpenCatalogOptions): { db: Database.Database; report: RepairReport } {
  const clock = options.clock ?? systemClock;
  const log = options.log;
  const at = clock.now();
  log?.('warn', `store ${storePath} is damaged: ${damage}; repairing`);
  const movedAside = moveAside(storePath, at);
  const restored = restoreNewestBackup(storePath, log);
  if (restored.used === undefined) createFreshStore(storePath, options.busyTimeoutMs);
  const db = openConnection(storePath, { ...connectionOptions(options), fileMustExist: true });
  try {
    migrate(db); // a backup may predate the last migration
    const report: RepairReport = {
      action: restored.used === undefined ? 'fresh' : 'restored-backup',
      reason: damage,
      movedAside,
      ...(restored.used === undefined ? {} : { backupUsed: restored.used }),
      ...(restored.rejected.length === 0 ? {} : { backupsRejected: restored.rejected }),
      at,
    };
    db.transaction(() => {
      writeMeta(db, META_KEYS.lastRepair, report);
      writeMeta(db, META_KEYS.rescanRequested, { at, reason: `store repaired: ${damage}` });
    }).immediate();
    log?.(
      'warn',
      report.action === 'fresh'
        ? `store ${storePath} recreated empty (no usable backup); damaged files kept as ${movedAside.join(', ') || 'nothing'}; rescan requested`
        : `store ${storePath} restored from ${report.backupUsed}; damaged files kept as ${movedAside.join(', ') || 'nothing'}; rescan requested`,
      { ...report },
    );
    return { db, report };
  } catch (err) {
    db.close();
    throw err;
  }
}

function connectionOptions(options: OpenCatalogOptions): { busyTimeoutMs?: number } {
  return options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs };
}
