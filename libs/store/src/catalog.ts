import type { Database, Statement } from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  FILE_STATES,
  PermanentError,
  TARGET_STATES,
  assertFileTransition,
  assertTargetTransition,
  canTransitionFile,
  fileId as fileIdOf,
  systemClock,
} from '@filesync/core';
import type { Clock, FileIdentity, FileState, TargetState } from '@filesync/core';
import { transientWriteError } from './connection';
import { DEFAULT_BACKUPS_KEPT, writeRotatingBackup } from './backup';
import { CSV_COLUMNS, csvRecord, isoTime } from './csv';
import { integrityProblems } from './integrity';
import { META_KEYS, deleteMeta, readMeta, writeMeta } from './meta';
import { toCatalogEvent, toFileRecord, toTargetRecord } from './rows';
import { TotalsQuery } from './totals';
import { CatalogViews } from './views';
import type { EventRow, FileRow, TargetRow } from './rows';
import type {
  BackupResult,
  CatalogCounts,
  CatalogEvent,
  CatalogEventKind,
  CatalogTotals,
  FilePatch,
  FileRecord,
  FoundAnswer,
  FoundEntry,
  FoundOrderQuery,
  ListFilesQuery,
  ProgressOptions,
  RepairReport,
  RescanRequest,
  StoreLogger,
  TargetPatch,
  TargetRecord,
} from './types';

export interface CatalogOptions {
  /** Timestamps of records and events. */
  readonly clock?: Clock;
  readonly log?: StoreLogger;
  /** Rotating backups kept by {@link Catalog.backup}; default 3. */
  readonly backupsKept?: number;
}

/** A target row is done when the file needs nothing more from it. */
const DONE_TARGET_STATES: readonly TargetState[] = ['uploaded', 'skipped'];

type CsvRow = FileRow & {
  target_id: string | null;
  target_state: string | null;
  target_offset: number | null;
  receipt: string | null;
  target_reason: string | null;
  target_attempts: number | null;
  target_updated_at: number | null;
};

const CSV_PAGE_ROWS = 500;


/** The id of a version rewritten in place: the earlier version's id and the fingerprint that tells them apart. */
function rewrittenVersionId(previous: string, fingerprint: string): string {
  return createHash('sha256').update(`${previous}\u0000${fingerprint}`).digest('hex').slice(0, 32);
}

/**
 * The catalog: one row per file version and one per (file, target), each with a state and a durable
 * offset, plus an append-only history. Every change runs in one IMMEDIATE transaction that re-reads
 * the current row, checks the move against core's transition table, and writes the row and its
 * event together: an illegal move throws `PermanentError('illegal-transition')` and writes nothing.
 *
 * Synchronous (better-sqlite3): a call returns after its commit is durable (synchronous=FULL).
 * Made by {@link openCatalog}.
 */
export class Catalog {
  readonly path: string;
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly log: StoreLogger | undefined;
  private readonly backupsKept: number;
  private backupInFlight: Promise<unknown> = Promise.resolve();
  private readonly sql: ReturnType<typeof prepareStatements>;
  /** listFiles has four query shapes; each is prepared once. */
  private readonly listStatements = new Map<string, Statement>();
  private totalsQuery: TotalsQuery | undefined;
  private foundOrder: ReturnType<typeof foundOrderStatements> | undefined;
  private viewsOf: CatalogViews | undefined;

  constructor(db: Database, path: string, options: CatalogOptions = {}) {
    this.db = db;
    this.path = path;
    this.clock = options.clock ?? systemClock;
    this.log = options.log;
    this.backupsKept = options.backupsKept ?? DEFAULT_BACKUPS_KEPT;
    this.sql = prepareStatements(db);
  }

  /**
   * Records a file seen on a source. Idempotent: a known identity returns `isNew: false` and changes
   * nothing. A new one gets a `found` row, one `pending` row per target and a `file.found` event; when
   * the same (source, path) was seen before with another size or mtime, it links to that version.
   *
   * A file still being written (a log, a video) shows another size at every listing. While its latest
   * version is only `found` (nothing downloaded, nothing staged), that row becomes the new version
   * (`grew`: new id, size, mtime and found time, its history kept) instead of one `vanished` row per
   * listing: a growing file is one row. Nothing of the old version exists anywhere but on the source,
   * so there is nothing whose identity a removal could confuse.
   *
   * A latest version being `downloading` belongs to the downloader: another size or mtime in a listing
   * returns that row unchanged (`isNew: false`). The downloader's own check of the source at the start
   * and at the end of its read finds the change and moves the row to what the source shows, so a file
   * written while it is read settles again as one row, never a `vanished` version per listing.
   */
  recordFound(identity: FileIdentity, targets: readonly string[]): FoundAnswer {
    checkFound(identity, targets);
    // A listing shows mostly files it showed before: answered by a read, without the write lock. An
    // IMMEDIATE transaction per listed entry held the lock for whole scans (20,000 files: 20,000
    // transactions a poll), and every other stage's write waited behind it in SQLite's busy sleeps.
    return this.knownVersion(identity) ?? this.tx(() => this.recordFoundIn(identity, targets));
  }

  /**
   * {@link recordFound} for many entries of one listing: the known ones by reads, the rest in one
   * transaction (one commit, one fsync of the WAL, instead of one per new file). Each entry gets its
   * answer, or the `bad-request` error that {@link recordFound} would have thrown for it alone.
   * Nothing is lost by batching: a batch cut by a crash is found again at the next listing.
   */
  recordFoundBatch(entries: readonly FoundEntry[]): (FoundAnswer | { error: PermanentError })[] {
    const results: (FoundAnswer | { error: PermanentError } | undefined)[] = entries.map(({ identity, targets }) => {
      try {
        checkFound(identity, targets);
      } catch (err) {
        if (err instanceof PermanentError) return { error: err };
        throw err;
      }
      return this.knownVersion(identity);
    });
    if (results.some((r) => r === undefined)) {
      this.tx(() => {
        entries.forEach(({ identity, targets }, i) => {
          if (results[i] === undefined) results[i] = this.recordFoundIn(identity, targets);
        });
      });
    }
    return results as (FoundAnswer | { error: PermanentError })[];
  }

  /** {@link recordFound}'s writes, inside the caller's transaction. */
  private recordFoundIn(identity: FileIdentity, targets: readonly string[]): FoundAnswer {
    const id = fileIdOf(identity);
    const previous = this.sql.latestVersion.get(identity.sourceId, identity.path) as FileRow | undefined;
    // The newest version of the path answers for its size and mtime: after a rewrite in place with the
    // same size and mtime (see recordRewrittenInPlace) that is the rewritten version, not the first row.
    if (previous !== undefined && previous.size === identity.size && previous.mtime_ms === Math.trunc(identity.mtimeMs)) {
      return { fileId: previous.file_id, isNew: false };
    }
    if (this.sql.getFile.get(id) !== undefined) return { fileId: id, isNew: false };
    if (previous?.state === 'downloading') return { fileId: previous.file_id, isNew: false };
    const now = this.clock.now();
    if (previous?.state === 'found' && previous.download_offset === 0) return this.regrow(previous, identity, id, targets, now);
    const versionOf = previous?.file_id ?? null;
    this.sql.insertFile.run({
      file_id: id,
      source_id: identity.sourceId,
      path: identity.path,
      size: identity.size,
      mtime_ms: Math.trunc(identity.mtimeMs),
      state: 'found',
      at: now,
      version_of: versionOf,
    });
    const uniqueTargets = [...new Set(targets)];
    for (const targetId of uniqueTargets) this.sql.insertTarget.run(id, targetId, 'pending', now, identity.size);
    const detail: Record<string, unknown> = { targets: uniqueTargets };
    if (versionOf !== null) detail['versionOf'] = versionOf;
    this.event(now, id, null, 'file.found', null, 'found', detail);
    return { fileId: id, isNew: true };
  }

  /**
   * The answer for the newest version of the identity's path when it has the identity's size and mtime:
   * the first answer of {@link recordFound}'s transaction, which a read gives as well (rows are never
   * deleted, and a newer version written meanwhile is one the transaction could have missed too).
   * It says whether that row is `vanished`, so a listing that shows it again needs no second read.
   */
  private knownVersion(identity: FileIdentity): FoundAnswer | undefined {
    const latest = this.sql.latestVersion.get(identity.sourceId, identity.path) as FileRow | undefined;
    if (latest === undefined || latest.size !== identity.size || latest.mtime_ms !== Math.trunc(identity.mtimeMs)) return undefined;
    return latest.state === 'vanished' ? { fileId: latest.file_id, isNew: false, vanished: true } : { fileId: latest.file_id, isNew: false };
  }

  /** {@link recordFound}'s growing file: the unstarted row `previous` becomes version `id`, in this transaction. */
  private regrow(previous: FileRow, identity: FileIdentity, id: string, targets: readonly string[], now: number): { fileId: string; isNew: boolean; grew: string } {
    const from = previous.file_id;
    // Targets and events refer to the row by id: checked at commit, once every reference moved.
    this.db.pragma('defer_foreign_keys = ON');
    this.sql.regrowFile.run({ from, file_id: id, size: identity.size, mtime_ms: Math.trunc(identity.mtimeMs), at: now });
    this.sql.deleteTargets.run(from);
    const uniqueTargets = [...new Set(targets)];
    for (const targetId of uniqueTargets) this.sql.insertTarget.run(id, targetId, 'pending', now, identity.size);
    this.sql.moveEvents.run(id, from);
    this.sql.moveVersionOf.run(id, from);
    this.event(now, id, null, 'file.found', 'found', 'found', { targets: uniqueTargets, grewFrom: { fileId: from, size: previous.size, mtimeMs: previous.mtime_ms } });
    return { fileId: id, isNew: true, grew: from };
  }

  /**
   * Records a new version of a file that a source shows with the same size and mtime as `fileId`'s but
   * another fingerprint (`fingerprint`: the device's, as `Source.stat` gave it) — a rewrite in place that
   * the listing cannot tell apart, found by the cleaner's identity check. It gets a row of its own (an id
   * made from the earlier one and the fingerprint, linked to it by `versionOf`), `found`, with the earlier
   * version's targets `pending`, so it is copied like any new version. Idempotent, and only the newest
   * version of a path can be superseded so: for an older row it returns the newest one, `isNew: false`.
   */
  recordRewrittenInPlace(fileId: string, fingerprint: string, reason: string): { fileId: string; isNew: boolean } {
    if (typeof fingerprint !== 'string' || fingerprint === '') throw new PermanentError('bad-request', 'a rewritten version needs the fingerprint that tells it apart');
    return this.tx(() => {
      const row = this.requireFile(fileId);
      const latest = this.sql.latestVersion.get(row.source_id, row.path) as FileRow;
      if (latest.file_id !== fileId) return { fileId: latest.file_id, isNew: false };
      const id = rewrittenVersionId(fileId, fingerprint);
      const now = this.clock.now();
      this.sql.insertFile.run({
        file_id: id,
        source_id: row.source_id,
        path: row.path,
        size: row.size,
        mtime_ms: row.mtime_ms,
        state: 'found',
        at: now,
        version_of: fileId,
      });
      const targets = (this.sql.targetsOf.all(fileId) as TargetRow[]).map((t) => t.target_id);
      for (const targetId of targets) this.sql.insertTarget.run(id, targetId, 'pending', now, row.size);
      this.event(now, id, null, 'file.found', null, 'found', { targets, versionOf: fileId, rewrittenInPlace: reason });
      return { fileId: id, isNew: true };
    });
  }

  /**
   * Moves a file to `to`. Entering `staged` needs a sha256 (in the patch or already recorded);
   * entering `delivered` needs every target row `uploaded` or `skipped`, since delivery is what allows
   * removal from the source.
   */
  transitionFile(fileId: string, to: FileState, patch: FilePatch = {}): FileRecord {
    return this.tx(() => {
      const row = this.requireFile(fileId);
      assertFileTransition(row.state, to);
      const sha256 = patch.sha256 !== undefined ? patch.sha256 : row.sha256;
      if (to === 'staged' && !sha256) {
        throw new PermanentError('bad-request', `file ${fileId} cannot be staged without a sha256`, { detail: { fileId } });
      }
      if (to === 'delivered') this.requireAllTargetsDone(fileId);
      const downloadOffset = patch.downloadOffset ?? row.download_offset;
      checkOffset(downloadOffset, row.size, `download offset of ${fileId}`);
      const attempts = patch.attempts ?? (to === 'failed' ? row.attempts + 1 : row.attempts);
      const reason = patch.reason ?? null;
      const retryAt = patch.retryAt ?? row.retry_at;
      const now = this.clock.now();
      const fingerprint = patch.fingerprint !== undefined ? patch.fingerprint : row.fingerprint;
      const deviceChecksum = patch.deviceChecksum !== undefined ? patch.deviceChecksum : row.device_checksum;
      this.sql.updateFile.run({
        file_id: fileId, state: to, download_offset: downloadOffset, sha256, reason, attempts, retry_at: retryAt, at: now, fingerprint, device_checksum: deviceChecksum,
      });
      const detail: Record<string, unknown> = { ...patch.detail };
      if (reason !== null) detail['reason'] = reason;
      if (patch.sha256 !== undefined) detail['sha256'] = patch.sha256;
      if (patch.fingerprint !== undefined) detail['fingerprint'] = patch.fingerprint;
      if (patch.deviceChecksum !== undefined) detail['deviceChecksum'] = patch.deviceChecksum;
      if (downloadOffset !== row.download_offset) detail['downloadOffset'] = downloadOffset;
      if (retryAt !== row.retry_at) detail['retryAt'] = retryAt;
      this.event(now, fileId, null, 'file.state', row.state, to, detail);
      return toFileRecord({
        ...row,
        state: to,
        download_offset: downloadOffset,
        sha256,
        reason,
        attempts,
        retry_at: retryAt,
        updated_at: now,
        fingerprint,
        device_checksum: deviceChecksum,
      });
    });
  }

  /**
   * Records the durable staged offset of a file in `downloading`. The offset never goes backwards
   * unless `reset` is set (staging found fewer bytes than recorded), which writes a reset event.
   */
  recordDownloadProgress(fileId: string, offset: number, options: ProgressOptions = {}): void {
    this.tx(() => {
      const row = this.requireFile(fileId);
      if (row.state !== 'downloading') {
        throw new PermanentError('illegal-transition', `download progress for file ${fileId} in state ${row.state}`, {
          detail: { fileId, state: row.state },
        });
      }
      checkOffset(offset, row.size, `download offset of ${fileId}`);
      if (offset === row.download_offset) return;
      const backwards = offset < row.download_offset;
      if (backwards && options.reset !== true) {
        throw new PermanentError('bad-request', `download offset of ${fileId} would go back from ${row.download_offset} to ${offset}`, {
          detail: { fileId, from: row.download_offset, to: offset },
        });
      }
      const now = this.clock.now();
      this.sql.updateDownloadOffset.run(offset, now, fileId);
      if (backwards) this.event(now, fileId, null, 'file.download-reset', row.state, row.state, { from: row.download_offset, to: offset });
    });
  }

  /**
   * A followed file (a route with `followGrowing`) grew while it was downloaded: its row takes the new size
   * and mtime in place, keeping its id, its durable offset and its staged prefix, so the download goes on
   * from where it is. Only growth is followed: a smaller size is another file, which this refuses.
   * One `file.grew` event per call.
   */
  followGrowth(fileId: string, now: { size: number; mtimeMs: number; fingerprint?: string | undefined }): FileRecord {
    const { size, mtimeMs } = now;
    return this.tx(() => {
      const row = this.requireFile(fileId);
      if (row.state !== 'downloading') {
        throw new PermanentError('illegal-transition', `file ${fileId} grows only while downloading, not in state ${row.state}`, { detail: { fileId, state: row.state } });
      }
      checkOffset(size, Number.MAX_SAFE_INTEGER, `size of ${fileId}`);
      if (size < row.size) throw new PermanentError('bad-request', `file ${fileId} would shrink from ${row.size} to ${size} bytes: that is another file, not growth`, { detail: { fileId, from: row.size, to: size } });
      const at = this.clock.now();
      this.sql.growFile.run({ file_id: fileId, size, mtime_ms: Math.trunc(mtimeMs), fingerprint: now.fingerprint ?? null, at });
      // Its target rows carry the file's size (for totals()): nothing was uploaded yet, they follow it.
      this.sql.growTargets.run(size, fileId);
      this.event(at, fileId, null, 'file.grew', row.state, row.state, { from: { size: row.size, mtimeMs: row.mtime_ms }, to: { size, mtimeMs: Math.trunc(mtimeMs) } });
      return toFileRecord(this.requireFile(fileId));
    });
  }

  /** Moves one file's row for one target to `to`; same rules as {@link transitionFile}. */
  transitionTarget(fileId: string, targetId: string, to: TargetState, patch: TargetPatch = {}): TargetRecord {
    return this.tx(() => {
      const row = this.requireTarget(fileId, targetId);
      assertTargetTransition(row.state, to);
      const offset = patch.offset ?? row.offset;
      checkOffset(offset, this.requireFile(fileId).size, `upload offset of ${fileId} on ${targetId}`);
      const receipt = patch.receipt !== undefined ? patch.receipt : row.receipt;
      const attempts = patch.attempts ?? (to === 'failed' ? row.attempts + 1 : row.attempts);
      const reason = patch.reason ?? null;
      const now = this.clock.now();
      this.sql.updateTarget.run({ file_id: fileId, target_id: targetId, state: to, offset, receipt, reason, attempts, at: now });
      const detail: Record<string, unknown> = { ...patch.detail };
      if (reason !== null) detail['reason'] = reason;
      if (patch.receipt !== undefined) detail['receipt'] = patch.receipt;
      if (offset !== row.offset) detail['offset'] = offset;
      this.event(now, fileId, targetId, 'target.state', row.state, to, detail);
      return toTargetRecord({ ...row, state: to, offset, receipt, reason, attempts, updated_at: now });
    });
  }

  /**
   * {@link transitionTarget} to a done state (`uploaded` or `skipped`) and, in the same transaction, the
   * file to `delivered` when that was its last open target: one commit where an uploader made two (the
   * second in the same breath, so nothing waits between them that a crash could split usefully). Returns
   * the file as delivered, or undefined when another target still owes it or it was delivered already.
   */
  completeTarget(fileId: string, targetId: string, to: 'uploaded' | 'skipped', patch: TargetPatch = {}): { target: TargetRecord; delivered: FileRecord | undefined } {
    return this.tx(() => {
      const target = this.transitionTarget(fileId, targetId, to, patch);
      const file = this.requireFile(fileId);
      const open = (this.sql.targetsOf.all(fileId) as TargetRow[]).some((t) => !DONE_TARGET_STATES.includes(t.state));
      if (open || !canTransitionFile(file.state, 'delivered')) return { target, delivered: undefined };
      return { target, delivered: this.transitionFile(fileId, 'delivered') };
    });
  }

  /** Records the bytes a target confirmed for a row in `uploading`; never backwards unless `reset`. */
  recordUploadProgress(fileId: string, targetId: string, offset: number, options: ProgressOptions = {}): void {
    this.tx(() => {
      const row = this.requireTarget(fileId, targetId);
      if (row.state !== 'uploading') {
        throw new PermanentError('illegal-transition', `upload progress for file ${fileId} on ${targetId} in state ${row.state}`, {
          detail: { fileId, targetId, state: row.state },
        });
      }
      checkOffset(offset, this.requireFile(fileId).size, `upload offset of ${fileId} on ${targetId}`);
      if (offset === row.offset) return;
      const backwards = offset < row.offset;
      if (backwards && options.reset !== true) {
        throw new PermanentError('bad-request', `upload offset of ${fileId} on ${targetId} would go back from ${row.offset} to ${offset}`, {
          detail: { fileId, targetId, from: row.offset, to: offset },
        });
      }
      const now = this.clock.now();
      this.sql.updateUploadOffset.run(offset, now, fileId, targetId);
      if (backwards) this.event(now, fileId, targetId, 'target.upload-reset', row.state, row.state, { from: row.offset, to: offset });
    });
  }

  getFile(fileId: string): FileRecord | undefined {
    const row = this.sql.getFile.get(fileId) as FileRow | undefined;
    return row === undefined ? undefined : toFileRecord(row);
  }

  /** Files, oldest found first, filtered by state and/or source. */
  listFiles(query: ListFilesQuery = {}): FileRecord[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.state !== undefined) {
      where.push('state = ?');
      params.push(query.state);
    }
    if (query.sourceId !== undefined) {
      where.push('source_id = ?');
      params.push(query.sourceId);
    }
    let sql = 'SELECT * FROM files';
    if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`;
    sql += ' ORDER BY found_at, file_id';
    if (query.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(Math.max(0, Math.trunc(query.limit)));
    }
    let statement = this.listStatements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.listStatements.set(sql, statement);
    }
    return (statement.all(...params) as FileRow[]).map(toFileRecord);
  }

  /**
   * A page of a source's `found` files in download order (sizes up to `smallFileBytes` first, then by
   * mtime, oldest or newest first, then path), leaving out those stepping aside until after `now`. Walks
   * the `files_found_order` index and stops after the page, so a downloader's step costs the same with
   * 20 found files or 20,000 (listing them all per step made a backlog cost O(n²)).
   */
  foundInOrder(query: FoundOrderQuery): FileRecord[] {
    const { sourceId, smallFileBytes, order, now, limit, offset = 0 } = query;
    // Prepared on first use: only a downloader asks, and only on a store migrated to v8 (the index).
    const sql = (this.foundOrder ??= foundOrderStatements(this.db));
    const small = order === 'newest-first' ? sql.foundSmallNewest : sql.foundSmallOldest;
    const large = order === 'newest-first' ? sql.foundLargeNewest : sql.foundLargeOldest;
    const smallRows = small.all(sourceId, smallFileBytes, now, limit, offset) as FileRow[];
    if (smallRows.length >= limit) return smallRows.map(toFileRecord);
    // The page runs past the small files: the rest of it from the large ones.
    // Small files before this page's start: known unless the page started past them all.
    const smallCount =
      smallRows.length > 0 || offset === 0 ? offset + smallRows.length : (sql.foundSmallCount.get(sourceId, smallFileBytes, now) as { n: number }).n;
    const largeRows = large.all(sourceId, smallFileBytes, now, limit - smallRows.length, Math.max(0, offset - smallCount)) as FileRow[];
    return [...smallRows, ...largeRows].map(toFileRecord);
  }

  /**
   * The next file owed to `targetId`: staged, its row for the target `pending` or `uploading`;
   * unfinished uploads first, then the smallest, then oldest found. One query driven by the staged
   * files (few, while uploads keep up), not a listing plus a lookup per staged file. `skip`: files
   * already being sent; `maxSize`: the largest file wanted (a send beside a large one takes small files only).
   */
  nextOwed(targetId: string, options: { readonly skip?: readonly string[]; readonly maxSize?: number } = {}): { file: FileRecord; row: TargetRecord } | undefined {
    const hit = this.sql.nextOwed.get(targetId, JSON.stringify(options.skip ?? []), options.maxSize ?? Number.MAX_SAFE_INTEGER) as { file_id: string } | undefined;
    if (hit === undefined) return undefined;
    const file = this.getFile(hit.file_id);
    const row = this.getTarget(hit.file_id, targetId);
    return file && row ? { file, row } : undefined;
  }

  targetsOf(fileId: string): TargetRecord[] {
    return (this.sql.targetsOf.all(fileId) as TargetRow[]).map(toTargetRecord);
  }

  getTarget(fileId: string, targetId: string): TargetRecord | undefined {
    const row = this.sql.getTarget.get(fileId, targetId) as TargetRow | undefined;
    return row === undefined ? undefined : toTargetRecord(row);
  }

  /** Files per state, per source (by state) and rows per target (by state); every state present, zeros included. */
  counts(): CatalogCounts {
    const files = zeroCounts(FILE_STATES);
    for (const r of this.sql.countFiles.all() as { state: FileState; n: number }[]) files[r.state] = r.n;
    const bySource: Record<string, Record<FileState, number>> = {};
    for (const r of this.sql.countBySource.all() as { source_id: string; state: FileState; n: number }[]) {
      (bySource[r.source_id] ??= zeroCounts(FILE_STATES))[r.state] = r.n;
    }
    const byTarget: Record<string, Record<TargetState, number>> = {};
    for (const r of this.sql.countByTarget.all() as { target_id: string; state: TargetState; n: number }[]) {
      (byTarget[r.target_id] ??= zeroCounts(TARGET_STATES))[r.state] = r.n;
    }
    return { files, bySource, byTarget };
  }

  /**
   * Files and bytes per source and state, target rows and bytes per target and state, failures by
   * code, and the database's size: for metrics. Three GROUP BY queries (see totals.ts); prepared on
   * first use, since most connections (the CLI, the stage workers) never ask.
   */
  totals(): CatalogTotals {
    this.totalsQuery ??= new TotalsQuery(this.db);
    return this.totalsQuery.run();
  }

  /** The history, oldest first: of one file, or of all. With `limit`, the newest `limit` events. */
  history(fileId?: string, options: { limit?: number } = {}): CatalogEvent[] {
    const limit = options.limit === undefined ? -1 : Math.max(0, Math.trunc(options.limit));
    const rows = (fileId === undefined ? this.sql.historyAll.all(limit) : this.sql.historyOf.all(fileId, limit)) as EventRow[];
    return rows.reverse().map(toCatalogEvent);
  }

  /**
   * The catalog as CSV (header, then one row per file × target, RFC 4180 quoting). Without an
   * argument it returns the text; with a writable stream it writes page by page, honouring
   * back-pressure, and never holds a query open across an await (that would block writers).
   */
  exportCsv(): string;
  exportCsv(out: NodeJS.WritableStream): Promise<void>;
  exportCsv(out?: NodeJS.WritableStream): string | Promise<void> {
    if (out === undefined) {
      const parts = [csvRecord(CSV_COLUMNS)];
      for (const row of this.sql.csvAll.iterate() as IterableIterator<CsvRow>) parts.push(csvRecord(csvValues(row)));
      return parts.join('');
    }
    return this.writeCsv(out);
  }

  /** Asks the finders to list every source again (after a repair, or by an operator). */
  requestRescan(reason = 'requested'): void {
    writeMeta(this.db, META_KEYS.rescanRequested, { at: this.clock.now(), reason } satisfies RescanRequest);
  }

  /** Returns the pending rescan request, if any, and clears it in the same transaction. */
  takeRescanRequest(): RescanRequest | undefined {
    return this.tx(() => {
      const request = readMeta<RescanRequest>(this.db, META_KEYS.rescanRequested);
      if (request !== undefined) deleteMeta(this.db, META_KEYS.rescanRequested);
      return request;
    });
  }

  /** Paged, searchable queries for status pages (read-only). */
  get views(): CatalogViews {
    return (this.viewsOf ??= new CatalogViews(this.db));
  }

  /**
   * Routes an operator paused (by route id): their downloaders start no new file. Kept in the store,
   * so a pause survives a restart of a worker or of the agent until someone resumes the route.
   */
  pausedRoutes(): string[] {
    return readMeta<string[]>(this.db, META_KEYS.pausedRoutes) ?? [];
  }

  /** Pauses or resumes one route; returns the paused routes after the change. */
  setRoutePaused(routeId: string, paused: boolean): string[] {
    return this.tx(() => {
      const now = new Set(this.pausedRoutes());
      if (paused) now.add(routeId);
      else now.delete(routeId);
      const list = [...now].sort();
      if (list.length === 0) deleteMeta(this.db, META_KEYS.pausedRoutes);
      else writeMeta(this.db, META_KEYS.pausedRoutes, list);
      return list;
    });
  }

  /** The last repair {@link openCatalog} made on this store, for status pages. */
  lastRepair(): RepairReport | undefined {
    return readMeta<RepairReport>(this.db, META_KEYS.lastRepair);
  }

  /** When the newest event was recorded (by the clock of its day), or undefined for an empty catalog. */
  latestEventAt(): number | undefined {
    return (this.sql.latestEvent.get() as { at: number } | undefined)?.at;
  }

  /** Complaints of `PRAGMA integrity_check` (empty when sound). */
  checkIntegrity(): string[] {
    return integrityProblems(this.db);
  }

  /** Writes a checked rotating backup (see backup.ts); concurrent calls run one after another. */
  backup(): Promise<BackupResult> {
    const run = this.backupInFlight.then(async () => {
      const result = await writeRotatingBackup(this.db, this.path, this.backupsKept);
      writeMeta(this.db, META_KEYS.lastBackup, { at: this.clock.now(), path: result.path });
      this.log?.('info', `store backup written to ${result.path}`, { kept: result.kept.length, removed: result.removed.length });
      return result;
    });
    this.backupInFlight = run.catch(() => undefined);
    return run;
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /** Closes the store; SQLite checkpoints the WAL into the database file on the last close. */
  close(): void {
    if (!this.db.open) return;
    try {
      this.db.pragma('optimize');
    } catch {
      // Only the query planner's statistics: on a full disk they cannot be written, and the close must not fail for that.
    } finally {
      this.db.close();
    }
  }

  private tx<T>(fn: () => T): T {
    try {
      // IMMEDIATE takes the write lock before the re-read, so no other connection can move the row between.
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw transientWriteError(err, this.path) ?? err;
    }
  }

  private requireFile(fileId: string): FileRow {
    const row = this.sql.getFile.get(fileId) as FileRow | undefined;
    if (row === undefined) throw new PermanentError('not-found', `no file ${fileId} in the catalog`, { detail: { fileId } });
    return row;
  }

  private requireTarget(fileId: string, targetId: string): TargetRow {
    const row = this.sql.getTarget.get(fileId, targetId) as TargetRow | undefined;
    if (row === undefined) {
      throw new PermanentError('not-found', `no target ${targetId} for file ${fileId} in the catalog`, { detail: { fileId, targetId } });
    }
    return row;
  }

  private requireAllTargetsDone(fileId: string): void {
    const open = (this.sql.targetsOf.all(fileId) as TargetRow[]).filter((t) => !DONE_TARGET_STATES.includes(t.state));
    if (open.length > 0) {
      const list = open.map((t) => `${t.target_id}=${t.state}`).join(', ');
      throw new PermanentError('illegal-transition', `file ${fileId} is not on every target yet (${list})`, {
        detail: { fileId, open: open.map((t) => t.target_id) },
      });
    }
  }

  private event(
    at: number,
    fileId: string,
    targetId: string | null,
    kind: CatalogEventKind,
    from: string | null,
    to: string | null,
    detail: Record<string, unknown>,
  ): void {
    const json = Object.keys(detail).length === 0 ? null : JSON.stringify(detail);
    this.sql.insertEvent.run(at, fileId, targetId, kind, from, to, json);
  }

  private async writeCsv(out: NodeJS.WritableStream): Promise<void> {
    const write = async (text: string): Promise<void> => {
      if (!out.write(text)) await once(out, 'drain');
    };
    await write(csvRecord(CSV_COLUMNS));
    let after: [number, string, string] | undefined;
    for (;;) {
      const rows = (after === undefined ? this.sql.csvFirstPage.all(CSV_PAGE_ROWS) : this.sql.csvNextPage.all(...after, CSV_PAGE_ROWS)) as CsvRow[];
      if (rows.length === 0) return;
      await write(rows.map((r) => csvRecord(csvValues(r))).join(''));
      const last = rows[rows.length - 1]!;
      after = [last.found_at, last.file_id, last.target_id ?? ''];
    }
  }
}

function prepareStatements(db: Database) {
  const csvSelect = `
    SELECT f.*, t.target_id, t.state AS target_state, t.offset AS target_offset, t.receipt,
           t.reason AS target_reason, t.attempts AS target_attempts, t.updated_at AS target_updated_at
    FROM files f LEFT JOIN file_targets t ON t.file_id = f.file_id`;
  const csvOrder = `ORDER BY f.found_at, f.file_id, coalesce(t.target_id, '')`;
  return {
    latestEvent: db.prepare('SELECT at FROM events ORDER BY id DESC LIMIT 1'),
    getFile: db.prepare('SELECT * FROM files WHERE file_id = ?'),
    latestVersion: db.prepare('SELECT * FROM files WHERE source_id = ? AND path = ? ORDER BY found_at DESC, rowid DESC LIMIT 1'),
    insertFile: db.prepare(`
      INSERT INTO files (file_id, source_id, path, size, mtime_ms, state, found_at, updated_at, version_of)
      VALUES (@file_id, @source_id, @path, @size, @mtime_ms, @state, @at, @at, @version_of)`),
    updateFile: db.prepare(`
      UPDATE files SET state = @state, download_offset = @download_offset, sha256 = @sha256, reason = @reason,
        attempts = @attempts, retry_at = @retry_at, updated_at = @at, fingerprint = @fingerprint, device_checksum = @device_checksum
      WHERE file_id = @file_id`),
    growTargets: db.prepare('UPDATE file_targets SET size = ? WHERE file_id = ?'),
    growFile: db.prepare('UPDATE files SET size = @size, mtime_ms = @mtime_ms, updated_at = @at, fingerprint = @fingerprint WHERE file_id = @file_id'),
    regrowFile: db.prepare(`
      UPDATE files SET file_id = @file_id, size = @size, mtime_ms = @mtime_ms, found_at = @at, updated_at = @at,
        reason = NULL, attempts = 0, retry_at = 0, fingerprint = NULL, device_checksum = NULL
      WHERE file_id = @from`),
    deleteTargets: db.prepare('DELETE FROM file_targets WHERE file_id = ?'),
    moveEvents: db.prepare('UPDATE events SET file_id = ? WHERE file_id = ?'),
    moveVersionOf: db.prepare('UPDATE files SET version_of = ? WHERE version_of = ?'),
    updateDownloadOffset: db.prepare('UPDATE files SET download_offset = ?, updated_at = ? WHERE file_id = ?'),
    // `size` copies the file's (which never changes for a row: size is part of its identity; a regrown row gets new target rows).
    insertTarget: db.prepare('INSERT INTO file_targets (file_id, target_id, state, updated_at, size) VALUES (?, ?, ?, ?, ?)'),
    getTarget: db.prepare('SELECT * FROM file_targets WHERE file_id = ? AND target_id = ?'),
    targetsOf: db.prepare('SELECT * FROM file_targets WHERE file_id = ? ORDER BY target_id'),
    // CROSS JOIN keeps staged files the outer loop: the target's pending rows include every found file.
    nextOwed: db.prepare(`
      SELECT f.file_id FROM files f CROSS JOIN file_targets t ON t.file_id = f.file_id AND t.target_id = ?
      WHERE f.state = 'staged' AND t.state IN ('pending', 'uploading')
        AND f.file_id NOT IN (SELECT value FROM json_each(?)) AND f.size <= ?
      ORDER BY t.state = 'uploading' DESC, f.size, f.found_at, f.file_id LIMIT 1`),
    updateTarget: db.prepare(`
      UPDATE file_targets SET state = @state, offset = @offset, receipt = @receipt, reason = @reason,
        attempts = @attempts, updated_at = @at
      WHERE file_id = @file_id AND target_id = @target_id`),
    updateUploadOffset: db.prepare('UPDATE file_targets SET offset = ?, updated_at = ? WHERE file_id = ? AND target_id = ?'),
    insertEvent: db.prepare(
      'INSERT INTO events (at, file_id, target_id, kind, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    historyAll: db.prepare('SELECT * FROM events ORDER BY id DESC LIMIT ?'),
    historyOf: db.prepare('SELECT * FROM events WHERE file_id = ? ORDER BY id DESC LIMIT ?'),
    countFiles: db.prepare('SELECT state, count(*) AS n FROM files GROUP BY state'),
    countBySource: db.prepare('SELECT source_id, state, count(*) AS n FROM files GROUP BY source_id, state'),
    countByTarget: db.prepare('SELECT target_id, state, count(*) AS n FROM file_targets GROUP BY target_id, state'),
    csvAll: db.prepare(`${csvSelect} ${csvOrder}`),
    csvFirstPage: db.prepare(`${csvSelect} ${csvOrder} LIMIT ?`),
    csvNextPage: db.prepare(
      `${csvSelect} WHERE (f.found_at, f.file_id, coalesce(t.target_id, '')) > (?, ?, ?) ${csvOrder} LIMIT ?`,
    ),
  };
}

/** {@link Catalog.foundInOrder}'s queries: small and large files, oldest or newest first (path breaks ties). */
function foundOrderStatements(db: Database) {
  const where = `source_id = ? AND state = 'found' AND size %s ? AND retry_at <= ?`;
  const select = (cmp: string, dir: string): Statement =>
    // INDEXED BY: on a store without statistics the planner would take files_totals and sort every found row.
    db.prepare(`SELECT * FROM files INDEXED BY files_found_order WHERE ${where.replace('%s', cmp)} ORDER BY mtime_ms ${dir}, path LIMIT ? OFFSET ?`);
  return {
    foundSmallOldest: select('<=', 'ASC'),
    foundSmallNewest: select('<=', 'DESC'),
    foundLargeOldest: select('>', 'ASC'),
    foundLargeNewest: select('>', 'DESC'),
    foundSmallCount: db.prepare(`SELECT count(*) AS n FROM files WHERE ${where.replace('%s', '<=')}`),
  };
}

function csvValues(r: CsvRow): (string | number | null)[] {
  return [
    r.file_id,
    r.source_id,
    r.path,
    r.size,
    isoTime(r.mtime_ms),
    r.state,
    r.download_offset,
    r.sha256,
    r.reason,
    r.attempts,
    isoTime(r.found_at),
    isoTime(r.updated_at),
    r.version_of,
    r.target_id,
    r.target_state,
    r.target_offset,
    r.receipt,
    r.target_reason,
    r.target_attempts,
    isoTime(r.target_updated_at),
  ];
}

function zeroCounts<S extends string>(states: readonly S[]): Record<S, number> {
  return Object.fromEntries(states.map((s) => [s, 0])) as Record<S, number>;
}

function checkFound(identity: FileIdentity, targets: readonly string[]): void {
  checkIdentity(identity);
  for (const t of targets) {
    if (typeof t !== 'string' || t === '') throw new PermanentError('bad-request', 'target ids must be non-empty strings');
  }
}

function checkIdentity(identity: FileIdentity): void {
  const { sourceId, path, size, mtimeMs } = identity;
  if (typeof sourceId !== 'string' || sourceId === '') throw new PermanentError('bad-request', 'file identity needs a source id');
  if (typeof path !== 'string' || path === '') throw new PermanentError('bad-request', `file identity on ${sourceId} needs a path`);
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new PermanentError('bad-request', `size of ${sourceId}:${path} must be a non-negative integer, got ${size}`);
  }
  if (!Number.isFinite(mtimeMs)) throw new PermanentError('bad-request', `mtime of ${sourceId}:${path} must be a number, got ${mtimeMs}`);
}

function checkOffset(offset: number, size: number, what: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    throw new PermanentError('bad-request', `${what} must be an integer in 0..${size}, got ${offset}`, { detail: { offset, size } });
  }
}
