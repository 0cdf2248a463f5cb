import type { Database } from 'better-sqlite3';

/**
 * Schema migrations, in order; the store's schema version is `PRAGMA user_version` (the count of
 * migrations applied). A migration is never edited once released: changes go into a new one.
 *
 * State columns carry no CHECK of the state names on purpose: the guard is core's transition table,
 * and a CHECK list would need a full table rebuild every time core gains a state.
 */
export type Migration = (db: Database) => void;

export const MIGRATIONS: readonly Migration[] = [
  // v1: the catalog.
  (db) => {
    db.exec(`
      CREATE TABLE files (
        file_id TEXT PRIMARY KEY,
        source_id TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size >= 0),
        mtime_ms INTEGER NOT NULL,
        state TEXT NOT NULL,
        download_offset INTEGER NOT NULL DEFAULT 0 CHECK (download_offset >= 0),
        sha256 TEXT,
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        found_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX files_by_state ON files (state, found_at);
      CREATE TABLE file_targets (
        file_id TEXT NOT NULL REFERENCES files (file_id),
        target_id TEXT NOT NULL,
        state TEXT NOT NULL,
        offset INTEGER NOT NULL DEFAULT 0 CHECK (offset >= 0),
        receipt TEXT,
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (file_id, target_id)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        file_id TEXT NOT NULL REFERENCES files (file_id),
        target_id TEXT,
        kind TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT,
        detail TEXT
      ) STRICT;
      CREATE INDEX events_by_file ON events (file_id, id);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    `);
  },
  // v2: link a changed file to its earlier version; index the lookups by path and by content (dedupe).
  (db) => {
    db.exec(`
      ALTER TABLE files ADD COLUMN version_of TEXT REFERENCES files (file_id);
      CREATE INDEX files_by_source_path ON files (source_id, path, found_at);
      CREATE INDEX files_by_sha256 ON files (sha256) WHERE sha256 IS NOT NULL;
    `);
  },
  // v3: a file that keeps failing steps aside until this wall-clock time (ms; 0 = at once), so its
  // backoff survives a restart and other files of its source go first.
  (db) => {
    db.exec('ALTER TABLE files ADD COLUMN retry_at INTEGER NOT NULL DEFAULT 0');
  },
  // v4: nothing looks files up by content (the dedupe lookup was never used): the index only cost writes.
  (db) => {
    db.exec('DROP INDEX IF EXISTS files_by_sha256');
  },
  // v5: what the downloader observed of the source file it staged (its fingerprint and the device's
  // checksum), so the cleaner removes only that exact version (identity before delete).
  (db) => {
    db.exec(`
      ALTER TABLE files ADD COLUMN fingerprint TEXT;
      ALTER TABLE files ADD COLUMN device_checksum TEXT;
    `);
  },
  // v6: metrics (Catalog.totals) read files and bytes per device and state from covering indexes,
  // not the tables: 50,000 files took 35 ms (per source) and 69 ms (per target, joined to files for
  // the size) before, 8 and 9 ms after. A target row carries its file's size for that, kept equal to it
  // (a followed file that grows updates both). Failures are counted from the history through a partial index that holds only
  // the entries into `failed`, so the count does not scan the whole (append-only) history.
  (db) => {
    db.exec(`
      ALTER TABLE file_targets ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
      UPDATE file_targets SET size = (SELECT f.size FROM files f WHERE f.file_id = file_targets.file_id);
      CREATE INDEX files_totals ON files (source_id, state, size, download_offset);
      CREATE INDEX file_targets_totals ON file_targets (target_id, state, size, offset);
      CREATE INDEX events_failed ON events (file_id) WHERE to_state = 'failed';
    `);
  },
  // v7: S3 multipart uploads in progress, one row per (target, path) and one per acknowledged part, so
  // that after a power cut an upload goes on from its next part instead of from zero. Keyed by the
  // target's path, not the file id: the target owns these rows and never sees file ids.
  (db) => {
    db.exec(`
      CREATE TABLE multipart_uploads (
        target_id TEXT NOT NULL,
        path TEXT NOT NULL,
        object_key TEXT NOT NULL,
        upload_id TEXT,
        part_size INTEGER NOT NULL CHECK (part_size > 0),
        size INTEGER NOT NULL CHECK (size >= 0),
        sha256 TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (target_id, path)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE multipart_parts (
        target_id TEXT NOT NULL,
        path TEXT NOT NULL,
        part_number INTEGER NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
        size INTEGER NOT NULL CHECK (size > 0),
        etag TEXT NOT NULL,
        PRIMARY KEY (target_id, path, part_number),
        FOREIGN KEY (target_id, path) REFERENCES multipart_uploads (target_id, path) ON DELETE CASCADE
      ) STRICT, WITHOUT ROWID;
    `);
  },
  // v8: a downloader's next files (Catalog.foundInOrder) are read in download order from an index and
  // the read stops after a page; before, every step listed all of a source's found files (a backlog of
  // 20,000 cost 20,000 rows, 17 ms in SQLite alone, per file taken). Partial: only `found` rows, so the
  // index stays as small as the backlog and later transitions write no page of it (WAL space on a full disk).
  (db) => {
    db.exec(`CREATE INDEX files_found_order ON files (source_id, mtime_ms, path) WHERE state = 'found'`);
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

/** The tables a usable store must have; a store missing one is treated as damaged. */
export const REQUIRED_TABLES = ['files', 'file_targets', 'events', 'meta'] as const;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies the migrations after the store's version, each in its own transaction together with the
 * version bump, so a crash leaves the store at one version or the next, never between.
 */
export function migrate(db: Database, upTo: number = LATEST_SCHEMA_VERSION): number {
  const from = schemaVersion(db);
  for (let version = from; version < upTo; version++) {
    const migration = MIGRATIONS[version];
    if (!migration) break;
    db.transaction(() => {
      migration(db);
      // PRAGMA takes no bound parameters; `version` is a loop integer.
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
  return schemaVersion(db);
}
