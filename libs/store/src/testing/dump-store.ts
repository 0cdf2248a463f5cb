import Database from 'better-sqlite3';

/** Every row of every catalog table, read through a separate read-only connection (what is really on disk). */
export function dumpStore(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return {
      files: db.prepare('SELECT * FROM files ORDER BY file_id').all(),
      file_targets: db.prepare('SELECT * FROM file_targets ORDER BY file_id, target_id').all(),
      events: db.prepare('SELECT * FROM events ORDER BY id').all(),
      meta: db.prepare('SELECT * FROM meta ORDER BY key').all(),
    };
  } finally {
    db.close();
  }
}
