import type { Database } from 'better-sqlite3';

/** Keys of the `meta` table. */
export const META_KEYS = {
  rescanRequested: 'rescan_requested',
  lastRepair: 'last_repair',
  lastBackup: 'last_backup',
  pausedRoutes: 'paused_routes',
} as const;

export function readMeta<T>(db: Database, key: string): T | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row === undefined ? undefined : (JSON.parse(row.value) as T);
}

export function writeMeta(db: Database, key: string, value: unknown): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    key,
    JSON.stringify(value),
  );
}

export function deleteMeta(db: Database, key: string): void {
  db.prepare('DELETE FROM meta WHERE key = ?').run(key);
}
