import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkBackupFile } from './backup';
import { migrate } from './migrations';
import { openConnection } from './connection';
import { existingStoreFiles, fileStamp, fsyncDir, fsyncFile, listBackups, sidecarPaths } from './store-files';
import type { StoreLogger } from './types';

/**
 * Renames the store and its -wal/-shm/-journal with a `.corrupt-<timestamp>` suffix. Never deletes:
 * the damaged files may still hold the only record of something, and a person may want them.
 */
export function moveAside(storePath: string, atMs: number): string[] {
  const stamp = fileStamp(atMs);
  const moved: string[] = [];
  for (const file of existingStoreFiles(storePath)) {
    let dest = `${file}.corrupt-${stamp}`;
    for (let i = 1; existsSync(dest); i++) dest = `${file}.corrupt-${stamp}-${i}`;
    renameSync(file, dest);
    moved.push(dest);
  }
  if (moved.length > 0) fsyncDir(dirname(storePath));
  return moved;
}

/**
 * Copies the newest backup that passes its own check into `storePath` (which must not exist).
 * Returns the backup used, or undefined when none passed; rejected ones are reported and left alone.
 */
export function restoreNewestBackup(storePath: string, log?: StoreLogger): { used?: string; rejected: string[] } {
  const rejected: string[] = [];
  for (const backup of listBackups(storePath)) {
    const problem = checkBackupFile(backup.path);
    if (problem !== undefined) {
      rejected.push(backup.path);
      log?.('warn', `backup ${backup.path} is unusable: ${problem}`);
      continue;
    }
    installAtomically(storePath, (temp) => copyFileSync(backup.path, temp));
    return { used: backup.path, rejected };
  }
  return { rejected };
}

/**
 * The page size of a new store. A commit writes every page it changes to the WAL whole, and a file's
 * transition changes eight or nine pages (its row, two indexes keyed by state, an event and its index,
 * the event counter) whatever their size: with 1 KiB pages a small file's life writes about half the
 * bytes to the disk it did with SQLite's default of 4 KiB (75 against 153 KiB, `catalog-totals`), on the
 * SD card of a Pi that wears with every write, for reads of the whole catalog 10–20 % slower. A store made
 * before keeps its 4 KiB pages (only a VACUUM out of WAL mode could change them).
 */
export const STORE_PAGE_SIZE = 1024;

/**
 * Creates an empty, fully migrated store. Built under a temp name and renamed into place, so a crash
 * during creation leaves either no store or a complete one, never a half-initialised file.
 */
export function createFreshStore(storePath: string, busyTimeoutMs?: number): void {
  installAtomically(storePath, (temp) => {
    const db = openConnection(temp, { pageSize: STORE_PAGE_SIZE, ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }) });
    try {
      migrate(db);
    } finally {
      db.close(); // the last close checkpoints the WAL into the file and removes it
    }
  });
}

function installAtomically(storePath: string, write: (temp: string) => void): void {
  const temp = `${storePath}.init-tmp`;
  const clean = (): void => {
    for (const p of [temp, ...sidecarPaths(temp)]) rmSync(p, { force: true });
  };
  clean();
  try {
    write(temp);
    fsyncFile(temp);
    renameSync(temp, storePath);
    fsyncDir(dirname(storePath));
  } finally {
    clean();
  }
}
