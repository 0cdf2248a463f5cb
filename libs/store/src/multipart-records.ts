import type { Database, Statement } from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Clock, PermanentError, systemClock } from '@filesync/core';
import { classifyStoreError, openConnection, transientWriteError } from './connection';
import { schemaVersion } from './migrations';

/**
 * One part the store acknowledged (its answer to UploadPart), recorded as soon as the answer came.
 * Several parts may be in flight at once, so parts are recorded in the order they finish, not by number.
 */
export interface PartRecord {
  readonly partNumber: number;
  readonly size: number;
  /** The ETag the store answered, quotes included as sent (CompleteMultipartUpload wants it back so). */
  readonly etag: string;
}

/**
 * A multipart upload in progress for one (target, path). `uploadId` is null between the row being
 * written and the store's answer to CreateMultipartUpload: after a crash there, the upload may exist
 * on the store under `objectKey` without the catalog knowing its id, and is found and aborted.
 * `abandoned`: given up (restarted, mismatched, skipped) but its abort has not been confirmed yet.
 */
export interface MultipartUpload {
  readonly targetId: string;
  /** The path the target was asked to write (the final name). */
  readonly path: string;
  /** The key the upload is bound to: `path`, or a suffixed name chosen under the `rename` policy. */
  readonly objectKey: string;
  readonly uploadId: string | null;
  readonly partSize: number;
  /** The whole file's size and sha256, as the upload was started for them. */
  readonly size: number;
  readonly sha256: string;
  readonly state: 'open' | 'abandoned';
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Acknowledged parts, by part number. */
  readonly parts: readonly PartRecord[];
}

export type NewMultipartUpload = Pick<MultipartUpload, 'targetId' | 'path' | 'objectKey' | 'partSize' | 'size' | 'sha256'>;

interface UploadRow {
  target_id: string;
  path: string;
  object_key: string;
  upload_id: string | null;
  part_size: number;
  size: number;
  sha256: string;
  state: string;
  created_at: number;
  updated_at: number;
}

interface PartRow {
  part_number: number;
  size: number;
  etag: string;
}

/** The schema version that brought the multipart tables (see migrations.ts, v7). */
const MULTIPART_SCHEMA_VERSION = 7;

/**
 * The catalog's multipart records, on a connection of their own: an S3 target runs in its link's
 * worker thread, apart from the agent's catalog connection, and writes these rows as each part is
 * acknowledged (WAL lets both write; synchronous=FULL makes each row durable before the next part).
 */
export class MultipartRecords {
  private readonly sql: Record<'get' | 'list' | 'parts' | 'insert' | 'remove' | 'setUploadId' | 'addPart' | 'dropPart' | 'setState' | 'touch', Statement>;

  constructor(
    private readonly db: Database,
    readonly path: string,
    private readonly clock: Clock = systemClock,
  ) {
    this.sql = {
      get: db.prepare('SELECT * FROM multipart_uploads WHERE target_id = ? AND path = ?'),
      list: db.prepare('SELECT * FROM multipart_uploads WHERE target_id = ? ORDER BY created_at'),
      parts: db.prepare('SELECT part_number, size, etag FROM multipart_parts WHERE target_id = ? AND path = ? ORDER BY part_number'),
      insert: db.prepare(
        `INSERT INTO multipart_uploads (target_id, path, object_key, upload_id, part_size, size, sha256, state, created_at, updated_at)
         VALUES (@targetId, @path, @objectKey, NULL, @partSize, @size, @sha256, 'open', @at, @at)`,
      ),
      remove: db.prepare('DELETE FROM multipart_uploads WHERE target_id = ? AND path = ?'),
      setUploadId: db.prepare('UPDATE multipart_uploads SET upload_id = ?, updated_at = ? WHERE target_id = ? AND path = ?'),
      addPart: db.prepare('INSERT OR REPLACE INTO multipart_parts (target_id, path, part_number, size, etag) VALUES (?, ?, ?, ?, ?)'),
      dropPart: db.prepare('DELETE FROM multipart_parts WHERE target_id = ? AND path = ? AND part_number = ?'),
      setState: db.prepare('UPDATE multipart_uploads SET state = ?, updated_at = ? WHERE target_id = ? AND path = ?'),
      touch: db.prepare('UPDATE multipart_uploads SET updated_at = ? WHERE target_id = ? AND path = ?'),
    };
  }

  get(targetId: string, path: string): MultipartUpload | undefined {
    const row = this.sql.get.get(targetId, path) as UploadRow | undefined;
    return row === undefined ? undefined : this.toUpload(row);
  }

  list(targetId: string): MultipartUpload[] {
    return (this.sql.list.all(targetId) as UploadRow[]).map((row) => this.toUpload(row));
  }

  /** Records a new upload (no id yet), replacing any earlier row of the same path and its parts. */
  begin(upload: NewMultipartUpload): MultipartUpload {
    this.tx(() => {
      this.sql.remove.run(upload.targetId, upload.path);
      this.sql.insert.run({ ...upload, at: this.clock.now() });
    });
    return this.require(upload.targetId, upload.path);
  }

  setUploadId(targetId: string, path: string, uploadId: string): void {
    this.change(() => this.sql.setUploadId.run(uploadId, this.clock.now(), targetId, path), targetId, path);
  }

  /** Records one acknowledged part; durable when this returns. */
  addPart(targetId: string, path: string, part: PartRecord): void {
    this.tx(() => {
      this.require(targetId, path);
      this.sql.addPart.run(targetId, path, part.partNumber, part.size, part.etag);
      this.sql.touch.run(this.clock.now(), targetId, path);
    });
  }

  /** Forgets one part (the store no longer lists it as recorded); the parts around it stay (parts finish out of order). */
  dropPart(targetId: string, path: string, partNumber: number): void {
    this.tx(() => void this.sql.dropPart.run(targetId, path, partNumber));
  }

  markAbandoned(targetId: string, path: string): void {
    this.change(() => this.sql.setState.run('abandoned', this.clock.now(), targetId, path), targetId, path);
  }

  remove(targetId: string, path: string): void {
    this.tx(() => void this.sql.remove.run(targetId, path));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private change(run: () => { changes: number }, targetId: string, path: string): void {
    this.tx(() => {
      if (run().changes === 0) throw new PermanentError('not-found', `no multipart upload recorded for ${targetId}:${path}`);
    });
  }

  private require(targetId: string, path: string): MultipartUpload {
    const upload = this.get(targetId, path);
    if (!upload) throw new PermanentError('not-found', `no multipart upload recorded for ${targetId}:${path}`);
    return upload;
  }

  private toUpload(row: UploadRow): MultipartUpload {
    const parts = (this.sql.parts.all(row.target_id, row.path) as PartRow[]).map((p) => ({ partNumber: p.part_number, size: p.size, etag: p.etag }));
    return {
      targetId: row.target_id,
      path: row.path,
      objectKey: row.object_key,
      uploadId: row.upload_id,
      partSize: row.part_size,
      size: row.size,
      sha256: row.sha256,
      state: row.state === 'abandoned' ? 'abandoned' : 'open',
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      parts,
    };
  }

  private tx<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw transientWriteError(err, this.path) ?? err;
    }
  }
}

/**
 * Opens the multipart records of the catalog at `path`, which the agent has opened (repaired and
 * migrated) before it starts any link: no repair here, and a store older than the tables is refused.
 */
export function openMultipartRecords(path: string, options: { clock?: Clock } = {}): MultipartRecords {
  const storePath = resolve(path);
  if (!existsSync(storePath)) throw new PermanentError('not-found', `no catalog at ${storePath} for the multipart records`);
  let db: Database | undefined;
  try {
    db = openConnection(storePath, { fileMustExist: true });
    const version = schemaVersion(db);
    if (version < MULTIPART_SCHEMA_VERSION) {
      throw new PermanentError('unsupported', `catalog ${storePath} is at schema ${version}, before the multipart records (${MULTIPART_SCHEMA_VERSION}); start the agent once to migrate it`);
    }
    return new MultipartRecords(db, storePath, options.clock);
  } catch (err) {
    if (db?.open) db.close();
    if (err instanceof PermanentError) throw err;
    throw classifyStoreError(err, storePath);
  }
}
