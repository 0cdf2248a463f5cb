import { closeSync, existsSync, fsyncSync, openSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The files SQLite keeps beside a store: a damaged store is moved aside with all of them. */
export const SIDECAR_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

export function sidecarPaths(storePath: string): string[] {
  return SIDECAR_SUFFIXES.map((suffix) => storePath + suffix);
}

export function existingStoreFiles(storePath: string): string[] {
  return [storePath, ...sidecarPaths(storePath)].filter((p) => existsSync(p));
}

/** `<store>.backup-<n>`: n grows by one per backup, so the highest n is the newest. */
export function backupPath(storePath: string, n: number): string {
  return `${storePath}.backup-${n}`;
}

/** Where a backup is written before it is verified and renamed into place. */
export function backupTempPath(storePath: string): string {
  return `${storePath}.backup-tmp`;
}

export interface BackupFile {
  readonly path: string;
  readonly n: number;
}

/** The store's backups, newest first. */
export function listBackups(storePath: string): BackupFile[] {
  const dir = dirname(storePath);
  const prefix = `${basename(storePath)}.backup-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: BackupFile[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (!/^\d+$/.test(rest)) continue;
    found.push({ path: join(dir, name), n: Number(rest) });
  }
  return found.sort((a, b) => b.n - a.n);
}

/** fsync a file so that its bytes survive power loss before we rename it into place. */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync a directory so that a rename in it survives power loss. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory (EINVAL); the rename is then as durable as it gets.
  } finally {
    closeSync(fd);
  }
}

/** A timestamp usable in a file name: 20261125T083400123Z. */
export function fileStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:.]/g, '');
}
