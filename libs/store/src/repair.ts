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
 * Creates an empty, fully migrated store. Built under a temp name and renamed into place, so a crash
 * during creation leaves either no store or a complete one, never a half-initialised file.
 */
export function createFreshStore(storePath: string, busyTimeoutMs?: number): void {
  installAtomically(storePath, (temp) => {
    const db = openConnection(temp, busyTimeoutMs === undefined ? {} : { busyTimeoutMs });
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
