import { type CommitReceipt, type FilesyncError, SIDE_BY_SIDE_MAX_BYTES, type Staging, type Target, classifyError, hashStream } from '@filesync/core';
import type { FileRecord, TargetRecord, UploadedCopy } from '@filesync/store';
import type { CatalogPort, PipelineLogger } from './ports';
import { silentLogger } from './ports';
import { reportProgress } from './progress-stream';

export interface UploaderOptions {
  /** Where a file lands on this target. */
  readonly pathOf: (file: Pick<FileRecord, 'sourceId' | 'path' | 'mtimeMs'>) => string;
  /** Commit failures (size or hash mismatch) before a file is marked failed on this target. */
  readonly maxAttempts: number;
  /** Bytes sent before an upload's first progress record (it shows the upload under way)… */
  readonly progressBytes: number;
  /** …and the time between the records after it (`reportProgress`). */
  readonly progressMs: number;
}

export type UploadOutcome =
  | { readonly kind: 'idle' }
  | { readonly kind: 'uploaded'; readonly fileId: string; readonly receipt: string; readonly sent: number; readonly duplicateOf?: string }
  | { readonly kind: 'retry'; readonly fileId: string; readonly error: FilesyncError }
  | { readonly kind: 'failed'; readonly fileId: string; readonly reason: string }
  /** Its staged copy was gone (a catalog restored from an older backup, a staging dir emptied): downloaded again. */
  | { readonly kind: 'restaged'; readonly fileId: string };

/** Commits remembered while the catalog cannot record them; more are sent again once it can (see `Uploader.unrecorded`). */
const MAX_UNRECORDED = 256;

/** Called when every target of a file has it, so staging can be freed and `move` can proceed. */
export type DeliveredHook = (file: FileRecord) => void | Promise<void>;

/**
 * Sends staged files to one target. The target's own idea of what it holds (`partialSize`, `stat`)
 * decides where an upload resumes, never a local record alone; the commit verifies size and hash.
 */
export class Uploader {
  /**
   * Copies the target committed whose record the catalog then refused (a full disk: SQLITE_FULL), by
   * file id. The next attempt records them without sending a byte: the catalog's row is still `pending`
   * then, and nothing on record would otherwise tell it the file is already there. Memory only: a crash
   * in between is an interruption, after which a file under one progress interval is sent again.
   */
  private readonly unrecorded = new Map<string, { readonly path: string; readonly receipt: CommitReceipt }>();
  /** The files steps running side by side are sending now, with their sizes. */
  private readonly active = new Map<string, number>();

  constructor(
    private readonly target: Target,
    private readonly staging: Staging,
    private readonly catalog: CatalogPort,
    private readonly options: UploaderOptions,
    private readonly onDelivered: DeliveredHook = () => undefined,
    private readonly log: PipelineLogger = silentLogger,
  ) {}

  /**
   * Takes the staged file next owed to this target that no step running beside this one sends:
   * unfinished uploads first, then small before large. Beside a file larger than `SIDE_BY_SIDE_MAX_BYTES`,
   * only files up to that size. The caller gives it back with `active.delete`.
   */
  private async take(): Promise<{ file: FileRecord; row: TargetRecord } | undefined> {
    // Bounded: another step may take the same file while this one awaits the catalog.
    for (let tries = 0; tries <= this.active.size; tries++) {
      const largeInFlight = (): boolean => [...this.active.values()].some((size) => size > SIDE_BY_SIDE_MAX_BYTES);
      const wasLarge = largeInFlight();
      const job = await this.catalog.nextOwed(this.target.id, { skip: [...this.active.keys()], ...(wasLarge ? { maxSize: SIDE_BY_SIDE_MAX_BYTES } : {}) });
      if (job === undefined) return undefined;
      if (this.active.has(job.file.fileId) || (!wasLarge && job.file.size > SIDE_BY_SIDE_MAX_BYTES && largeInFlight())) continue;
      // From the check to the take nothing awaits: steps side by side never take the same file.
      this.active.set(job.file.fileId, job.file.size);
      return job;
    }
    return undefined;
  }

  async step(signal?: AbortSignal): Promise<UploadOutcome> {
    const job = await this.take();
    if (job === undefined) return { kind: 'idle' };
    try {
      return await this.upload(job.file, job.row, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof StagedCopyLost) return this.restage(job.file, err);
      return this.handleError(job.file, classifyError(err));
    } finally {
      this.active.delete(job.file.fileId);
    }
  }

  /**
   * Sends the file back to its source's downloader: staged → found. The target's row keeps its state,
   * so a partial copy there is continued once the file is staged again (the commit checks the content).
   */
  private async restage(file: FileRecord, lost: StagedCopyLost): Promise<UploadOutcome> {
    this.log.warn({ target: this.target.id, fileId: file.fileId, path: file.path }, lost.message);
    try {
      await this.catalog.transitionFile(file.fileId, 'found', { downloadOffset: 0, fingerprint: null, reason: lost.message });
    } catch (err) {
      // Another target's uploader sent it back first.
      if (classifyError(err).code !== 'illegal-transition') throw err;
    }
    return { kind: 'restaged', fileId: file.fileId };
  }

  private async upload(file: FileRecord, row: TargetRecord, signal?: AbortSignal): Promise<UploadOutcome> {
    const sha256 = file.sha256 ?? '';
    if (row.state === 'pending') {
      const copy = await this.uploadedEarlierVersion(file, sha256);
      if (copy !== undefined) {
        const receipt = copy.receipt ?? copy.path;
        await this.catalog.transitionTarget(file.fileId, this.target.id, 'uploaded', {
          receipt,
          reason: `duplicate of ${copy.sourceId}:${copy.path}`,
          detail: { duplicateOf: copy.fileId },
        });
        await this.maybeDelivered(file);
        return { kind: 'uploaded', fileId: file.fileId, receipt, sent: 0, duplicateOf: copy.fileId };
      }
    }
    // A site that cannot resume has the attempt recorded before a byte is sent, so that after a crash it
    // is known. One that resumes keeps its in-transit copy, which decides where the next attempt goes
    // on: its row becomes `uploading` with the first progress record, so a file sent within one
    // progress interval (most small files) costs no commit for it.
    let state = row.state;
    if (state === 'pending' && !this.target.features.canResume) {
      await this.catalog.transitionTarget(file.fileId, this.target.id, 'uploading', { offset: 0 });
      state = 'uploading';
    }
    const report = async (at: number): Promise<void> => {
      if (state === 'uploading') return this.catalog.recordUploadProgress(file.fileId, this.target.id, at);
      await this.catalog.transitionTarget(file.fileId, this.target.id, 'uploading', { offset: at });
      state = 'uploading';
    };
    const path = this.options.pathOf(file);
    const earlier = this.unrecorded.get(file.fileId);
    if (earlier?.path === path) return this.committed(file, path, earlier.receipt, 0);
    const expected = { size: file.size, sha256 };
    let offset = this.target.features.canResume ? await this.target.partialSize(path) : 0;
    if (offset > file.size) offset = 0;
    let sent = 0;
    // After an attempt on record, a file of this size at the final name may be ours (a commit whose
    // reply was lost): the commit alone decides, by content. If it is not ours, the commit finds no
    // copy in transit (conflict) and the file is sent after all, to meet the collision policy — never
    // taken as delivered by size. Without a record (a row still pending) any attempt sent less than a
    // progress interval; sent again, its commit finds the same content and answers already-present.
    // That spares a stat of the final name per file (a HEAD on S3, a directory listing on FTP).
    if (offset === 0 && row.state === 'uploading' && this.target.features.atomicCommit && (await this.target.stat(path))?.size === file.size) {
      const receipt = await this.target.commit(path, expected).catch((err: unknown) => {
        if (classifyError(err).code === 'conflict') return undefined;
        throw err;
      });
      if (receipt) return this.committed(file, path, receipt, 0);
    }
    if (offset < file.size || file.size === 0) {
      if (state === 'uploading' && offset < row.offset) await this.catalog.recordUploadProgress(file.fileId, this.target.id, offset, { reset: true });
      // Read before the target is touched: a staged copy that is gone must not leave an empty in-transit copy there.
      const staged = await openStaged(this.staging, file, offset, this.target.features.keepsNoChunk === true);
      try {
        const data = reportProgress(staged.chunks, offset, report, this.options.progressBytes, this.options.progressMs);
        await this.target.write(path, offset, countBytes(data, (n) => (sent += n)), signal ? { signal, expected } : { expected });
      } finally {
        await staged.close();
      }
    }
    return this.committed(file, path, await this.target.commit(path, expected), sent);
  }

  private async committed(file: FileRecord, path: string, receipt: CommitReceipt, sent: number): Promise<UploadOutcome> {
    // The last target's row and the file's `delivered` in one transaction (one WAL fsync, not two).
    let delivered: FileRecord | undefined;
    try {
      ({ delivered } = await this.catalog.completeTarget(file.fileId, this.target.id, receipt.outcome === 'skipped' ? 'skipped' : 'uploaded', {
        receipt: receipt.location,
        offset: file.size,
        detail: { outcome: receipt.outcome, sent },
      }));
    } catch (err) {
      this.rememberUnrecorded(file.fileId, path, receipt);
      throw err;
    }
    this.unrecorded.delete(file.fileId);
    this.log.info({ target: this.target.id, path, location: receipt.location, outcome: receipt.outcome, sent }, 'uploaded');
    if (delivered) await this.onDelivered(delivered);
    return { kind: 'uploaded', fileId: file.fileId, receipt: receipt.location, sent };
  }

  private rememberUnrecorded(fileId: string, path: string, receipt: CommitReceipt): void {
    // Bounded: a catalog that refuses every write leaves at most this many behind (a Pi's memory).
    if (this.unrecorded.size >= MAX_UNRECORDED) this.unrecorded.delete(this.unrecorded.keys().next().value as string);
    this.unrecorded.set(fileId, { path, receipt });
  }

  /**
   * The earlier version of this file (same source and path), when it has the same content and this
   * target already has it: a new mtime on the same bytes is not sent again. A copy under another name
   * does not count — this name would then be missing on the target, and under `move` the file would
   * exist under its own name nowhere.
   */
  private async uploadedEarlierVersion(file: FileRecord, sha256: string): Promise<UploadedCopy | undefined> {
    if (file.versionOf === null) return undefined;
    const previous = await this.catalog.getFile(file.versionOf);
    if (previous?.sha256 !== sha256) return undefined;
    const row = await this.catalog.getTarget(previous.fileId, this.target.id);
    if (row?.state !== 'uploaded') return undefined;
    return { fileId: previous.fileId, sourceId: previous.sourceId, path: previous.path, receipt: row.receipt };
  }

  /**
   * Staged files every target already has, left undelivered by a crash between the last target's
   * `uploaded` and the file's `delivered`: nothing else would ever pick them up again.
   */
  async deliverFinished(): Promise<number> {
    let delivered = 0;
    for (const file of await this.catalog.listFiles({ state: 'staged' })) {
      const rows = await this.catalog.targetsOf(file.fileId);
      if (!rows.some((r) => r.targetId === this.target.id) || !rows.every((r) => r.state === 'uploaded' || r.state === 'skipped')) continue;
      if (await this.maybeDelivered(file)) delivered++;
    }
    return delivered;
  }

  /**
   * Files that vanished from their source before they were staged may already be here (a copy made
   * before the catalog was lost, or by hand). Only the same content counts as delivered: the sha256
   * we hold for the file against a read-back from the target. A size is no proof (an older, different
   * file of the same size would be taken for it, and under `move` the source deleted), and with no
   * hash of ours nothing is proven: the file stays `vanished` and, should it reappear, takes the
   * normal path (same content → already there; different → the collision policy). Returns how many
   * were found.
   */
  async reconcileVanished(): Promise<number> {
    let found = 0;
    for (const file of await this.catalog.listFiles({ state: 'vanished' })) {
      const row = await this.catalog.getTarget(file.fileId, this.target.id);
      if (!row || (row.state !== 'pending' && row.state !== 'uploading')) continue;
      const path = this.options.pathOf(file);
      if (!(await this.holdsContentOf(path, file))) continue;
      if (row.state === 'pending') await this.catalog.transitionTarget(file.fileId, this.target.id, 'uploading', { offset: 0 });
      await this.catalog.transitionTarget(file.fileId, this.target.id, 'uploaded', {
        receipt: path,
        offset: file.size,
        reason: 'found on the target after it vanished from the source',
      });
      await this.maybeDelivered(file);
      found++;
    }
    return found;
  }

  /** True only when the target reads back, at `path`, bytes whose sha256 is the one we recorded for `file`. */
  private async holdsContentOf(path: string, file: FileRecord): Promise<boolean> {
    if (file.sha256 === null || this.target.read === undefined) return false;
    if ((await this.target.stat(path))?.size !== file.size) return false;
    try {
      return (await hashStream('sha256', this.target.read(path))) === file.sha256;
    } catch (err) {
      this.log.debug({ target: this.target.id, path, err: classifyError(err).message }, 'read-back failed: not counted as delivered');
      return false;
    }
  }

  /** Delivers the file if every target has it; true when this call did. */
  private async maybeDelivered(file: FileRecord): Promise<boolean> {
    const rows = await this.catalog.targetsOf(file.fileId);
    if (!rows.every((r) => r.state === 'uploaded' || r.state === 'skipped')) return false;
    try {
      await this.catalog.transitionFile(file.fileId, 'delivered');
    } catch (err) {
      // Another target's uploader may have delivered it first.
      if (classifyError(err).code !== 'illegal-transition') throw err;
      return false;
    }
    await this.onDelivered(file);
    return true;
  }

  private async handleError(file: FileRecord, error: FilesyncError): Promise<UploadOutcome> {
    if (error.kind === 'transient') {
      this.log.debug({ target: this.target.id, fileId: file.fileId, code: error.code, err: error.message }, 'upload interrupted');
      return { kind: 'retry', fileId: file.fileId, error };
    }
    const row = await this.catalog.getTarget(file.fileId, this.target.id);
    const attempts = (row?.attempts ?? 0) + 1;
    if (error.code === 'checksum-mismatch' && attempts < this.options.maxAttempts && (row?.state === 'uploading' || row?.state === 'pending')) {
      // A row still `pending` (sent within one progress interval) goes through `uploading` to count the attempt.
      if (row.state === 'pending') await this.catalog.transitionTarget(file.fileId, this.target.id, 'uploading', { offset: 0 });
      await this.catalog.transitionTarget(file.fileId, this.target.id, 'pending', { offset: 0, attempts, reason: error.message });
      return { kind: 'retry', fileId: file.fileId, error };
    }
    this.unrecorded.delete(file.fileId);
    if (row && row.state !== 'failed') {
      await this.catalog.transitionTarget(file.fileId, this.target.id, 'failed', { reason: error.message, attempts, detail: { code: error.code } });
    }
    this.log.error({ target: this.target.id, fileId: file.fileId, code: error.code }, `upload failed: ${error.message}`);
    return { kind: 'failed', fileId: file.fileId, reason: error.message };
  }
}

async function* countBytes(chunks: AsyncIterable<Uint8Array>, add: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    add(chunk.length);
    yield chunk;
  }
}

/** A staged file whose copy in staging is gone: only downloading it again brings it back. */
class StagedCopyLost extends Error {}

/**
 * The staged copy's bytes from `offset`, its first chunk already read: a copy that is gone is told apart
 * from a target's not-found, and known before anything is sent. `close` ends the read if the target
 * never took it. `reuseBuffer` for a target that keeps no chunk: one buffer for the whole read.
 */
async function openStaged(staging: Staging, file: FileRecord, offset: number, reuseBuffer: boolean): Promise<{ chunks: AsyncIterable<Uint8Array>; close: () => Promise<void> }> {
  const reader = staging.read(file.fileId, offset, { reuseBuffer })[Symbol.asyncIterator]();
  let first: IteratorResult<Uint8Array>;
  try {
    first = await reader.next();
  } catch (err) {
    if (classifyError(err).code !== 'not-found') throw err;
    throw new StagedCopyLost(`${file.sourceId}:${file.path}: its staged copy is gone before every target had it; downloading it again`, { cause: err });
  }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let next = first; !next.done; next = await reader.next()) yield next.value;
  }
  return { chunks: chunks(), close: async () => void (await reader.return?.()) };
}
