import Database from 'better-sqlite3';
import { renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { PermanentError } from '@filesync/core';
import { storeProblem } from './integrity';
import { nativeBindingOption } from './native-binding';
import { backupPath, backupTempPath, fsyncDir, fsyncFile, listBackups, sidecarPaths } from './store-files';
import type { BackupResult } from './types';

export const DEFAULT_BACKUPS_KEPT = 3;

/**
 * Writes a consistent copy of the live store beside it as `<store>.backup-<n>` and keeps the newest
 * `keep`. The copy goes to a temp name, is switched to rollback-journal mode (so it is one
 * self-contained file), checked, fsynced, and only then renamed into place; the older backups are
 * removed after that. A crash at any point leaves every `backup-<n>` file complete and checked.
 */
export async function writeRotatingBackup(db: Database.Database, storePath: string, keep: number): Promise<BackupResult> {
  if (!Number.isInteger(keep) || keep < 1) throw new PermanentError('bad-request', `backups kept must be a positive integer, got ${keep}`);
  const temp = backupTempPath(storePath);
  removeWithSidecars(temp); // left by a crash during an earlier backup
  await db.backup(temp);
  const problem = checkBackupCopy(temp);
  if (problem !== undefined) {
    removeWithSidecars(temp);
    throw new PermanentError('corrupt', `backup of ${storePath} failed its check: ${problem}`, { detail: { storePath } });
  }
  fsyncFile(temp);
  const older = listBackups(storePath);
  const path = backupPath(storePath, (older[0]?.n ?? 0) + 1);
  renameSync(temp, path);
  fsyncDir(dirname(storePath));
  const all = [path, ...older.map((b) => b.path)];
  const removed = all.slice(keep);
  for (const old of removed) rmSync(old, { force: true });
  return { path, kept: all.slice(0, keep), removed };
}

/** Leaves the copy in rollback-journal mode and returns what is wrong with it, if anything. */
function checkBackupCopy(path: string): string | undefined {
  let copy: Database.Database | undefined;
  try {
    copy = new Database(path, { fileMustExist: true, ...nativeBindingOption() });
    // A backup copies the WAL flag in the header; DELETE mode makes the file usable without -wal/-shm.
    copy.pragma('journal_mode = DELETE');
    return storeProblem(copy);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    copy?.close();
  }
}

/**
 * Checks a backup before it is restored, without writing to it. Undefined when it is a sound catalog.
 */
export function checkBackupFile(path: string): string | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, ...nativeBindingOption() });
    return storeProblem(db);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    db?.close();
  }
}

function removeWithSidecars(path: string): void {
  for (const p of [path, ...sidecarPaths(path)]) rmSync(p, { force: true });
}
