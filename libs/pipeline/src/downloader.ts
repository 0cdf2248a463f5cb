import {
  type BackoffPolicy,
  type Clock,
  type ErrorData,
  type FilesyncError,
  type HashName,
  PermanentError,
  type Source,
  type Staging,
  TransientError,
  backoffDelay,
  classifyError,
  hashStream,
  isFileFault,
  systemClock,
} from '@filesync/core';
import type { FileRecord } from '@filesync/store';
import { limitBytes } from './limit-stream';
import { isSettling } from './settling';
import { checkVersion } from './source-version';
import type { CatalogPort, PipelineLogger } from './ports';
import { silentLogger } from './ports';

export interface DownloaderOptions {
  readonly checkpointBytes: number;
  readonly checkpointMs: number;
  /**
   * A download yields to the scheduler after this many bytes or this long (on a slow link), so small
   * files don't wait behind a huge one and a listing runs between slices.
   */
  readonly sliceBytes: number;
  readonly sliceMs: number;
  /**
   * Failed attempts of one file for its own reasons (a device refusing it, a checksum or short read,
   * a path gone while listed) before it is marked failed with the device's reason. Faults of the link
   * (timeouts, disconnects, a held session) never count: health backs the whole source off for them.
   */
  readonly maxAttempts: number;
  /** Wait after a file's failed attempt before it is tried again; other files go first meanwhile. */
  readonly retryBackoff: BackoffPolicy;
  /**
   * Free space on the staging disk kept for the catalog (whose uploads records free staging) and logs.
   * A download starts or goes on only if its remaining bytes fit in free space minus this and minus the
   * remaining bytes of the downloads in flight, from every source, ahead of it.
   */
  readonly reserveBytes: number;
  /**
   * Most bytes staging may hold at once (files staged or being downloaded, from every source, at their
   * full size). A new file waits while that much is held, but may always start when nothing is held,
   * so one file larger than the quota cannot deadlock. Undefined: no quota.
   */
  readonly maxBytes: number | undefined;
  readonly order: 'oldest-first' | 'newest-first';
  /** Files at most this large go before larger ones. */
  readonly smallFileBytes: number;
  /**
   * A listed version waits this long after it was first found before its download starts, and is
   * staged only if the source then still shows the same size and mtime: a file still being written
   * (a log, a video) is never delivered as a prefix. The config's `settleSec` (default 3 s) sets it.
   */
  readonly settleMs: number;
  /**
   * Files a route follows while they grow (`followGrowing`): taken without settling, their new bytes
   * fetched as they appear (the staged prefix kept), staged once their size has not changed for
   * `settleMs`. Append-only is assumed; a device checksum (MAVFTP CRC32) proves the whole at the end.
   */
  readonly follows: (file: Pick<FileRecord, 'sourceId' | 'path' | 'size' | 'mtimeMs'>) => boolean;
  /**
   * Asked once per step before new files are considered: which of them may start (a route an operator
   * paused starts none). Files already downloading go on. Undefined: every file may start.
   */
  readonly mayStart?: () => Promise<(file: FileRecord) => boolean>;
}

export const DEFAULT_DOWNLOADER_OPTIONS: DownloaderOptions = {
  checkpointBytes: 1024 * 1024,
  checkpointMs: 1000,
  sliceBytes: 16 * 1024 * 1024,
  sliceMs: 5000,
  maxAttempts: 5,
  retryBackoff: { initialMs: 10_000, maxMs: 10 * 60_000, factor: 2, jitter: 0.3 },
  reserveBytes: 0,
  maxBytes: undefined,
  order: 'oldest-first',
  smallFileBytes: 1024 * 1024,
  settleMs: 0,
  follows: () => false,
};

export type DownloadOutcome =
  | { readonly kind: 'idle' }
  /**
   * No file may start now. `heldBytes` is set when the wait is for the staging quota (`maxBytes`);
   * otherwise the first file waiting needs `needBytes`, and `freeBytes` is what the disk has for it
   * after the reserve and the downloads in flight ahead of it.
   */
  | { readonly kind: 'waiting-for-space'; readonly freeBytes: number; readonly heldBytes?: number; readonly needBytes?: number; readonly path?: string }
  /** The file failed for its own reasons and steps aside until `retryAt` (wall clock); others go first. */
  | { readonly kind: 'stepped-aside'; readonly fileId: string; readonly attempts: number; readonly retryAt: number; readonly error: FilesyncError }
  | { readonly kind: 'progress'; readonly fileId: string; readonly offset: number }
  | { readonly kind: 'staged'; readonly fileId: string; readonly sha256: string }
  | { readonly kind: 'vanished'; readonly fileId: string }
  /**
   * The file was replaced while read (same size and mtime, another fingerprint): its copy is discarded and
   * it is taken again; or, about to start, it showed another size (still being written) and settles again.
   */
  | { readonly kind: 'changed'; readonly fileId: string; readonly reason: string }
  | { readonly kind: 'retry'; readonly fileId: string; readonly error: FilesyncError }
  | { readonly kind: 'failed'; readonly fileId: string; readonly reason: string };

/**
 * Copies one source's files into staging, from each file's durable offset. Data first, then the
 * record: staging fsyncs before the catalog hears of a new offset, so a power cut loses at most one
 * checkpoint. Every file is verified by the device's checksum where it offers one, and by sha256.
 */
export class Downloader {
  private readonly options: DownloaderOptions;
  /** Files a running step is working on. */
  private readonly active = new Set<string>();
  /** Followed files: when each was last seen to grow (clock ms); it is staged once that is `settleMs` ago. */
  private readonly lastGrowth = new Map<string, number>();
  /** Followed files that reached their size and wait for more: not taken again before this (clock ms). */
  private readonly followWait = new Map<string, number>();
  /** Files failing for their own reasons in this run, by file id, the latest last. */
  private readonly troubles = new Map<string, ErrorData>();

  constructor(
    private readonly source: Source,
    private readonly staging: Staging,
    private readonly catalog: CatalogPort,
    options: Partial<DownloaderOptions> = {},
    private readonly clock: Clock = systemClock,
    private readonly log: PipelineLogger = silentLogger,
  ) {
    this.options = { ...DEFAULT_DOWNLOADER_OPTIONS, ...options };
  }

  /**
   * Files this downloader could work on now, best first (small before large, then route order), a page
   * at a time: a backlog is read from the catalog's index only as far as a step looks, never whole per
   * step. With `startNew` false only files already being downloaded (they hold their share of the
   * staging quota already). A file stepping aside after a failed attempt waits for its `retryAt`.
   */
  async *candidatePages(startNew = true): AsyncGenerator<FileRecord[]> {
    const now = this.clock.now();
    const usable = (c: FileRecord): boolean =>
      (this.options.follows(c) || !isSettling(c, this.options.settleMs, now)) && (this.followWait.get(c.fileId) ?? 0) <= now && !this.active.has(c.fileId) && c.retryAt <= now;
    // Files already started are few: all of them, each merged into the page where its place in the order falls.
    let started = (await this.catalog.listFiles({ sourceId: this.source.id, state: 'downloading' })).filter(usable).sort(this.order);
    let mayStart: ((file: FileRecord) => boolean) | undefined;
    for (let offset = 0, limit = FIRST_CANDIDATE_PAGE; startNew; offset += limit, limit = Math.min(limit * 4, MAX_CANDIDATE_PAGE)) {
      const page = await this.catalog.foundInOrder({
        sourceId: this.source.id,
        smallFileBytes: this.options.smallFileBytes,
        order: this.options.order,
        now,
        limit,
        offset,
      });
      if (page.length === 0) break;
      if (offset === 0) mayStart = await this.options.mayStart?.();
      const last = page.at(-1)!;
      const before = page.length < limit ? started : started.filter((f) => this.order(f, last) <= 0);
      started = started.slice(before.length);
      const merged = [...before, ...page.filter((f) => (mayStart ? mayStart(f) : true) && usable(f))].sort(this.order);
      if (merged.length > 0) yield merged;
      if (page.length < limit) break;
    }
    if (started.length > 0) yield started;
  }

  /** Every candidate, best first (for tests and the quota's look at whether anything waits). */
  async candidates(startNew = true): Promise<FileRecord[]> {
    const all: FileRecord[] = [];
    for await (const page of this.candidatePages(startNew)) all.push(...page);
    return all;
  }

  /** The next file to work on, not taken by a step already running. */
  async next(startNew = true): Promise<FileRecord | undefined> {
    for await (const page of this.candidatePages(startNew)) return page[0];
    return undefined;
  }

  /** Download order: files up to `smallFileBytes` first, then by mtime (route order), then path, as the catalog's index. */
  private readonly order = (a: FileRecord, b: FileRecord): number => {
    const small = this.options.smallFileBytes;
    const sizeClass = Number(a.size > small) - Number(b.size > small);
    if (sizeClass !== 0) return sizeClass;
    const sign = this.options.order === 'newest-first' ? -1 : 1;
    return sign * (a.mtimeMs - b.mtimeMs) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  };

  /**
   * The latest fault of a file failing for its own reasons in this run (stepping aside or given up),
   * naming how many such files there are; undefined when none. Health shows it as `degraded`.
   */
  trouble(): ErrorData | undefined {
    const latest = [...this.troubles.values()].at(-1);
    if (latest === undefined || this.troubles.size === 1) return latest;
    return { ...latest, message: `${latest.message} (${this.troubles.size} files failing)` };
  }

  /** Works one slice of the next file. Errors are classified and recorded, never thrown (but cancellation). */
  async step(signal?: AbortSignal): Promise<DownloadOutcome> {
    const heldBytes = await this.quotaHeldBytes();
    let space: Space | undefined;
    let pick: Admission | undefined;
    let wait: Extract<Admission, { kind: 'wait' }> | undefined;
    for await (const page of this.candidatePages(heldBytes === undefined)) {
      space ??= await this.space();
      // From the admission to the take nothing awaits, so steps running side by side never take the same file.
      pick = this.admit(page, space);
      if (pick.kind !== 'wait') {
        this.active.add(pick.file.fileId);
        break;
      }
      if (pick.outcome.kind !== 'idle') wait ??= pick;
    }
    if (space === undefined) {
      if (heldBytes === undefined || (await this.next()) === undefined) return { kind: 'idle' };
      return { kind: 'waiting-for-space', freeBytes: Math.max(0, (this.options.maxBytes ?? 0) - heldBytes), heldBytes };
    }
    if (pick === undefined || pick.kind === 'wait') return wait?.outcome ?? { kind: 'idle' };
    const file = pick.file;
    try {
      if (pick.kind === 'never') return await this.failTooLarge(file, pick.reason);
      const outcome = await this.work(file, signal);
      if (outcome.kind === 'staged') this.troubles.delete(file.fileId);
      return outcome;
    } catch (err) {
      if (signal?.aborted) throw err;
      return this.handleError(file, classifyError(err));
    } finally {
      this.active.delete(file.fileId);
    }
  }

  /** Free space, the disk's size, and every source's downloads in flight (they share staging), oldest first. */
  private async space(): Promise<Space> {
    // One statfs for both figures where staging can (it is asked at every step).
    const { freeBytes, totalBytes } = this.staging.space ? await this.staging.space() : { freeBytes: await this.staging.freeBytes(), totalBytes: undefined };
    const inFlight = (await this.catalog.listFiles({ state: 'downloading' })).sort((a, b) => a.foundAt - b.foundAt || a.fileId.localeCompare(b.fileId));
    return { freeBytes, totalBytes, inFlight };
  }

  /**
   * The first candidate that fits now, or that can never fit (to be failed); else the wait for the
   * first one. A file fits when its remaining bytes fit in free space minus the reserve and minus the
   * remaining bytes of the downloads in flight ahead of it: every one of them for a new file, only the
   * older ones for a file in flight, so the oldest download can always go on and none deadlock.
   */
  private admit(candidates: readonly FileRecord[], space: Space): Admission {
    const reserve = this.options.reserveBytes;
    let wait: Admission | undefined;
    for (const file of candidates) {
      if (this.active.has(file.fileId)) continue;
      if (space.totalBytes !== undefined && file.size > space.totalBytes - reserve) {
        const reason =
          `${file.path} is ${file.size} bytes; the staging disk holds ${space.totalBytes} bytes in all, ` +
          `${reserve} of them kept free (staging.reserveBytes): it can never be staged there`;
        return { kind: 'never', file, reason };
      }
      const at = file.state === 'downloading' ? space.inFlight.findIndex((f) => f.fileId === file.fileId) : -1;
      const ahead = at >= 0 ? space.inFlight.slice(0, at) : space.inFlight.filter((f) => f.fileId !== file.fileId);
      const reserved = ahead.reduce((n, f) => n + (f.size - f.downloadOffset), 0);
      const available = space.freeBytes - reserve - reserved;
      const needBytes = file.size - file.downloadOffset;
      if (needBytes <= available) return { kind: 'fits', file };
      wait ??= { kind: 'wait', outcome: { kind: 'waiting-for-space', freeBytes: Math.max(0, available), needBytes, path: file.path } };
    }
    return wait ?? { kind: 'wait', outcome: { kind: 'idle' } };
  }

  private async failTooLarge(file: FileRecord, reason: string): Promise<DownloadOutcome> {
    await this.staging.remove(file.fileId);
    await this.catalog.transitionFile(file.fileId, 'failed', { reason, downloadOffset: 0, detail: { code: 'no-space' } });
    this.log.error({ source: this.source.id, path: file.path, size: file.size }, `download failed: ${reason}`);
    this.noteTrouble(file.fileId, { kind: 'permanent', code: 'no-space', message: reason });
    return { kind: 'failed', fileId: file.fileId, reason };
  }

  /**
   * Bytes staging holds or has promised (every source's staged and downloading files, at full size)
   * when they reach the quota, so no new file may start; undefined when one may. Counted from the
   * catalog, which every source's downloader shares, rather than from the disk, which lags behind.
   */
  private async quotaHeldBytes(): Promise<number | undefined> {
    const max = this.options.maxBytes;
    if (max === undefined) return undefined;
    let held = 0;
    // Downloading first: a file staged between the two reads is then counted twice, never missed.
    for (const state of ['downloading', 'staged'] as const) {
      for (const file of await this.catalog.listFiles({ state })) held += file.size;
    }
    return held > 0 && held >= max ? held : undefined;
  }

  private async work(file: FileRecord, signal?: AbortSignal): Promise<DownloadOutcome> {
    let record = file;
    // Downloading before anything awaits the device: admission counts the file's bytes as taken
    // from here on, so steps running side by side (this source's or another's) cannot overcommit.
    if (record.state === 'found') record = await this.catalog.transitionFile(record.fileId, 'downloading', { downloadOffset: 0, fingerprint: null });
    /** The fingerprint this read started from, while the catalog does not hold it yet. */
    let unrecorded: string | undefined;
    if (record.downloadOffset === 0 && record.fingerprint === null) {
      // A read from byte 0 (a new file, or one cut before its first record): the version it starts
      // from. Its fingerprint is what the end of the read, and the cleaner, compare with; it goes
      // to the catalog with the first offset or the `staged` record, not in a commit of its own (a
      // read cut before then starts again from 0, and takes it again).
      const start = await checkVersion(this.source, { ...record, deviceChecksum: null });
      if (start.kind === 'gone') throw new PermanentError('not-found', `${record.path} is gone from the source`);
      // No fingerprint is recorded yet, so only a size or mtime can differ here: still being written.
      if (start.kind === 'changed' && this.follows(record, start.stat)) record = await this.grow(record, start.stat);
      else if (start.kind === 'changed') return this.stillGrowing(record, start.stat, start.reason, { unread: true });
      const fingerprint = start.kind === 'same' ? start.stat.fingerprint : undefined;
      if (fingerprint !== undefined) {
        record = { ...record, fingerprint };
        unrecorded = fingerprint;
      }
    }
    const checkpoint = async (at: number): Promise<void> => {
      if (!this.recordsCheckpoint(record, at)) return;
      if (unrecorded === undefined) return this.catalog.recordDownloadProgress(record.fileId, at);
      await this.catalog.transitionFile(record.fileId, 'downloading', { downloadOffset: at, fingerprint: unrecorded });
      unrecorded = undefined;
    };
    let offset = await this.staging.resume(record.fileId, record.downloadOffset);
    if (offset < record.downloadOffset) {
      // Staging holds fewer bytes than were recorded (lost with the power): go on from what is there.
      this.log.warn({ fileId: record.fileId, recorded: record.downloadOffset, have: offset }, 'staged bytes lost; continuing from what is on disk');
      await this.catalog.recordDownloadProgress(record.fileId, offset, { reset: true });
    }
    // An empty file is appended too (no bytes): that creates its staged file, which `seal` needs.
    if (offset < record.size || record.size === 0) {
      const want = Math.min(record.size - offset, this.options.sliceBytes);
      const counter: { bytes: number; timedOut?: boolean } = { bytes: 0 };
      const data = limitBytes(this.source.read(record.path, offset, signal ? { signal } : {}), want, counter, performance.now() + this.options.sliceMs);
      offset = await this.staging.append(record.fileId, offset, data, {
        checkpointBytes: this.options.checkpointBytes,
        checkpointMs: this.options.checkpointMs,
        ...(signal ? { signal } : {}),
        onCheckpoint: ({ offset: at }) => checkpoint(at),
      });
      if (counter.bytes < want && counter.timedOut !== true) {
        // Ended before its listed size: a file cut shorter (another version: its copy is dropped), or a
        // link that ended the read early (a PX4 rebooting under it). The source's stat tells them apart;
        // a file still listed as it was is read on from the durable offset, not again from zero.
        const now = await checkVersion(this.source, { ...record, deviceChecksum: null });
        const detail = { offset, size: record.size };
        if (now.kind === 'same') throw new TransientError('disconnected', `${record.path}: the read ended at ${offset} of ${record.size} bytes; the file is unchanged, reading on`, { detail });
        throw new TransientError('conflict', `${record.path} ended at ${offset} bytes, listed with ${record.size}`, { detail });
      }
      if (offset < record.size) return { kind: 'progress', fileId: record.fileId, offset };
    }
    // The read reached the listed size: the bytes are this version's only if it is still there.
    const end = await checkVersion(this.source, { ...record, deviceChecksum: null });
    if (end.kind === 'gone') throw new PermanentError('not-found', `${record.path} is gone from the source`);
    if (end.kind === 'changed' && this.follows(record, end.stat)) {
      // Followed and grown: the prefix stays staged, the row takes the new size, the read goes on.
      await this.grow(record, end.stat);
      return { kind: 'progress', fileId: record.fileId, offset };
    }
    if (end.kind !== 'changed' && this.options.follows(record)) {
      const quietFor = this.clock.now() - (this.lastGrowth.get(record.fileId) ?? this.noteGrowth(record.fileId));
      if (quietFor < this.options.settleMs) {
        // Maybe still being written: look again once it could have settled.
        this.followWait.set(record.fileId, this.clock.now() + this.options.settleMs - quietFor);
        return { kind: 'progress', fileId: record.fileId, offset };
      }
      this.lastGrowth.delete(record.fileId);
      this.followWait.delete(record.fileId);
    }
    if (end.kind === 'changed') {
      await this.staging.remove(record.fileId);
      // Another size or mtime: still being written (a log, a video). The prefix read is no version
      // that ever existed whole, so it is dropped and the row settles again at the new size.
      if (!end.sameIdentity) return this.stillGrowing(record, end.stat, end.reason);
      // Same size and mtime, other content: the spliced copy is discarded and the file read again.
      const reason = `${record.path} changed while read (${end.reason}); its copy is discarded and it is read again`;
      await this.catalog.transitionFile(record.fileId, 'found', { reason, downloadOffset: 0, fingerprint: null });
      this.log.warn({ source: this.source.id, path: record.path, fileId: record.fileId }, reason);
      return { kind: 'changed', fileId: record.fileId, reason };
    }
    return this.verifyAndStage(record, unrecorded);
  }

  /**
   * Whether a checkpoint at `at` is written to the catalog. The last one of a whole file is not: its
   * bytes are synced before the seal all the same, and the `staged` record that follows carries the
   * offset, so one commit per file is saved. A crash in between costs at most the bytes since the
   * checkpoint before (under `checkpointBytes`). A followed file's end is not its end: it is recorded.
   */
  private recordsCheckpoint(record: FileRecord, at: number): boolean {
    return at < record.size || this.options.follows(record);
  }

  /** Whether `record` is followed and the source now shows it grown (not shrunk, not rewritten in place). */
  private follows(record: FileRecord, now: { size: number }): boolean {
    return this.options.follows(record) && now.size > record.size;
  }

  private noteGrowth(fileId: string): number {
    const at = this.clock.now();
    this.lastGrowth.set(fileId, at);
    return at;
  }

  /** A followed file grew: its row takes the new size in place (same id, offset and staged prefix). */
  private async grow(record: FileRecord, stat: { size: number; mtimeMs: number; fingerprint?: string | undefined }): Promise<FileRecord> {
    this.noteGrowth(record.fileId);
    this.log.debug({ source: this.source.id, path: record.path, fileId: record.fileId, from: record.size, to: stat.size }, 'followed file grew');
    return this.catalog.followGrowth(record.fileId, stat);
  }

  /**
   * A version that is another size or mtime now than when it settled: still being written. Either it
   * looked settled only because no listing came in time (a busy link: a MAVFTP listing waits behind
   * the chunks of other files), or its writer paused longer than the settle time and went on while it
   * was read. Nothing of it is kept, so its row moves to what the source shows (the finder leaves a
   * downloading row to us) and settles again; it never becomes `vanished`.
   */
  private async stillGrowing(record: FileRecord, stat: { size: number; mtimeMs: number }, why: string, read: { unread?: true } = {}): Promise<DownloadOutcome> {
    const targets = (await this.catalog.targetsOf(record.fileId)).map((t) => t.targetId);
    // No targets: the finder moved the row meanwhile, and its listing is the newer word.
    if (targets.length === 0) return { kind: 'vanished', fileId: record.fileId };
    // Back to found with nothing kept (its prefix, if any, is dropped by the caller), so the catalog
    // moves this one row to the new size rather than leaving a superseded row behind. `unread`: seen
    // growing before a byte was read (the history then shows no download given up).
    await this.catalog.transitionFile(record.fileId, 'found', { downloadOffset: 0, ...(read.unread ? { detail: { unread: true } } : {}) });
    const { fileId } = await this.catalog.recordFound({ sourceId: this.source.id, path: record.path, size: stat.size, mtimeMs: stat.mtimeMs }, targets);
    const reason = `${record.path} is still being written (${why}); it settles again at its new size`;
    this.log.debug({ source: this.source.id, path: record.path, fileId, size: stat.size }, reason);
    return { kind: 'changed', fileId, reason };
  }

  private async verifyAndStage(record: FileRecord, fingerprint: string | undefined): Promise<DownloadOutcome> {
    let sha256: string;
    try {
      sha256 = await this.staging.seal(record.fileId);
    } catch (err) {
      // The staged copy is gone (removed behind our back): that is not the source file vanishing,
      // so download it again rather than calling it vanished.
      if (classifyError(err).code !== 'not-found') throw err;
      throw new TransientError('conflict', `staged copy of ${record.path} disappeared before it was sealed`, { cause: err });
    }
    const deviceHash = this.source.features.hashes.find((h): h is HashName => h !== 'sha256');
    let deviceChecksum: string | null = null;
    if (deviceHash !== undefined && this.source.checksum) {
      const [theirs, ours] = await Promise.all([
        this.source.checksum(record.path, deviceHash),
        hashStream(deviceHash, this.staging.read(record.fileId, 0)),
      ]);
      if (theirs !== ours) {
        throw new PermanentError('checksum-mismatch', `${deviceHash} of ${record.path} is ${ours} here but ${theirs} on the device`, {
          detail: { hash: deviceHash, device: theirs, staged: ours },
        });
      }
      deviceChecksum = `${deviceHash}:${theirs}`;
    } else if (this.source.features.hashes.includes('sha256') && this.source.checksum) {
      const theirs = await this.source.checksum(record.path, 'sha256');
      if (theirs !== sha256) {
        throw new PermanentError('checksum-mismatch', `sha256 of ${record.path} differs between device and staging`, {
          detail: { device: theirs, staged: sha256 },
        });
      }
    }
    await this.catalog.transitionFile(record.fileId, 'staged', { sha256, downloadOffset: record.size, deviceChecksum, ...(fingerprint === undefined ? {} : { fingerprint }) });
    this.log.info({ source: this.source.id, path: record.path, size: record.size, sha256 }, 'staged');
    return { kind: 'staged', fileId: record.fileId, sha256 };
  }

  /**
   * A fault of the link is left to health (the whole source backs off; it never counts against a file).
   * A fault of the file's own counts one attempt: the file steps aside until its backoff is over while
   * the others go on, and after `maxAttempts` (or at once, for a permanent fault) it is `failed` with
   * the device's reason. A path the device says is gone is `vanished`, but counted too: one still
   * listed (an FTP 550 on RETR) would otherwise come back at every scan and fail again for ever.
   */
  private async handleError(file: FileRecord, error: FilesyncError): Promise<DownloadOutcome> {
    const current = await this.catalog.getFile(file.fileId);
    if (current === undefined || current.state === 'vanished') {
      // The row moved on meanwhile (the finder found the file gone, or grown before its download began);
      // this partial copy is worthless, and failing it would show a file that was never lost.
      await this.staging.remove(file.fileId);
      this.log.debug({ fileId: file.fileId, path: file.path, err: error.message }, 'download of a superseded version stopped');
      return { kind: 'vanished', fileId: file.fileId };
    }
    if (!isFileFault(error.toData())) {
      this.log.debug({ fileId: file.fileId, code: error.code, err: error.message }, 'download interrupted');
      return { kind: 'retry', fileId: file.fileId, error };
    }
    const attempts = current.attempts + 1;
    // A bad checksum or a short read: the staged bytes are not to be trusted, start the file again.
    const restart = error.code === 'checksum-mismatch' || error.code === 'conflict';
    if (restart) await this.staging.remove(file.fileId);
    const worthRetrying = error.kind === 'transient' || error.code === 'checksum-mismatch' || error.code === 'not-found';
    const where = error.message.includes(file.path) ? error.message : `${file.path}: ${error.message}`;
    if (attempts >= this.options.maxAttempts || !worthRetrying) {
      const reason = attempts > 1 ? `${where} (${attempts} attempts)` : where;
      await this.staging.remove(file.fileId);
      await this.catalog.transitionFile(file.fileId, 'failed', { reason, attempts, downloadOffset: 0, detail: { code: error.code } });
      this.log.error({ fileId: file.fileId, path: file.path, code: error.code, attempts }, `download failed: ${reason}`);
      this.noteTrouble(file.fileId, { ...error.toData(), message: `failed: ${reason}` });
      return { kind: 'failed', fileId: file.fileId, reason };
    }
    const retryAt = this.clock.now() + backoffDelay(this.options.retryBackoff, attempts - 1);
    if (error.code === 'not-found') {
      await this.catalog.transitionFile(file.fileId, 'vanished', { reason: error.message, attempts, retryAt });
      // Gone once is a file deleted; gone again after it was listed again is a file the device lists but will not give.
      if (attempts > 1) this.noteTrouble(file.fileId, { ...error.toData(), message: `${where} (attempt ${attempts} of ${this.options.maxAttempts}; listed but not readable)` });
      return { kind: 'vanished', fileId: file.fileId };
    }
    if (current.state === 'downloading') {
      await this.catalog.transitionFile(file.fileId, restart ? 'found' : 'downloading', {
        reason: error.message,
        attempts,
        retryAt,
        ...(restart ? { downloadOffset: 0 } : {}),
      });
    }
    const waitSec = Math.round((retryAt - this.clock.now()) / 1000);
    this.log.warn(
      { fileId: file.fileId, path: file.path, code: error.code, attempts, retryAt },
      `download of ${file.path} failed (attempt ${attempts} of ${this.options.maxAttempts}), steps aside for ${waitSec} s: ${error.message}`,
    );
    this.noteTrouble(file.fileId, { ...error.toData(), message: `${where} (attempt ${attempts} of ${this.options.maxAttempts}; other files go first)` });
    return { kind: 'stepped-aside', fileId: file.fileId, attempts, retryAt, error };
  }

  private noteTrouble(fileId: string, cause: ErrorData): void {
    this.troubles.delete(fileId);
    this.troubles.set(fileId, cause);
  }
}

/**
 * Candidates read from the catalog at a time: a step usually takes the first (or, beside a parallel
 * step, the second), so the first page is small; each further page is four times larger, up to the
 * largest, so a long run of files that cannot start (settling, stepping aside) costs few reads. A
 * first page of 32 cost ~0.35 ms of catalog time per step (rows made into records), 4 cost ~0.05 ms.
 */
const FIRST_CANDIDATE_PAGE = 4;
const MAX_CANDIDATE_PAGE = 64;

interface Space {
  readonly freeBytes: number;
  readonly totalBytes: number | undefined;
  readonly inFlight: readonly FileRecord[];
}

type Admission =
  | { readonly kind: 'fits'; readonly file: FileRecord }
  | { readonly kind: 'never'; readonly file: FileRecord; readonly reason: string }
  | { readonly kind: 'wait'; readonly outcome: DownloadOutcome };
