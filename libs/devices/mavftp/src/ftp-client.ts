import { type BackoffPolicy, type Clock, TransientError, backoffDelay, sleep, systemClock } from '@filesync/core';
import { type DirEntry, MAX_DATA, NakError, Opcode, dataAsU32, parseDirEntries, pathData } from '@filesync/mavftp-codec';
import { type Chunk, type ChunkOptions, SessionLost, readChunk } from './chunk-reader';
import { NakReply } from './errors';
import { type ReadMode, ReadModePicker, TRIAL_CHUNK_BYTES } from './read-mode';
import { FtpChannel } from './ftp-channel';
import type { MavlinkLink } from './mavlink-link';

export interface MavftpClientOptions {
  /** First retransmission timeout before round trips are measured (config `requestTimeoutMs`). */
  readonly requestTimeoutMs?: number;
  /** Sends of one request before it fails as a timeout; retries reuse the sequence number. */
  readonly maxSends?: number;
  /** Per-send timeout of CalcFileCRC32 (PX4 reads the whole file before answering). */
  readonly crcTimeoutMs?: number;
  /** Pause transfers while the vehicle is armed (default; see README "Flight safety"). */
  readonly transferWhileArmed?: boolean;
  readonly burst?: boolean;
  readonly readBytes?: number;
  readonly readWindow?: number;
  /** ReadFile requests in flight when plain reads beat the burst (links with a short round trip); 0: bursts only. */
  readonly plainWindow?: number;
  readonly maxChunkBytes?: number;
  /** ResetSessions-and-retry rounds when Open meets "no sessions available". */
  readonly busyResets?: number;
  /**
   * Policy for a session held by someone else: wait this long (Open retried with backoff) for it
   * to be released before resetting it. 0 (default) resets at once — a crashed client's session
   * never frees itself while we keep asking, because every request refreshes PX4's idle timer.
   */
  readonly busyWaitMs?: number;
  /** Re-opens of one file without progress (reboots, lost sessions) before giving up. */
  readonly maxReopens?: number;
  readonly clock?: Clock;
}

export interface ListedEntry {
  readonly kind: 'file' | 'dir';
  readonly name: string;
  readonly size: number;
  /** Seconds since the epoch; 0 when the autopilot does not send times (ListDirectory without time). */
  readonly mtimeSec: number;
}

export interface ReadFileOptions {
  readonly signal?: AbortSignal;
  /** Told when a transfer pauses for arming and when it resumes. */
  readonly onPause?: (armed: boolean) => void;
}

export interface ClientStats {
  readonly sends: number;
  readonly retransmits: number;
  readonly reopens: number;
  /** Chunks dropped because, after a silence of the autopilot, the session read another file. */
  readonly hijacks: number;
  readonly busyResets: number;
  readonly busyWaits: number;
  readonly armedPauses: number;
  readonly srttMs: number | undefined;
  /** Chunks read by burst and by pipelined plain ReadFile (read-mode.ts chooses per chunk). */
  readonly burstChunks: number;
  readonly plainChunks: number;
}

const DEFAULTS = {
  requestTimeoutMs: 500,
  maxSends: 12,
  crcTimeoutMs: 30_000,
  transferWhileArmed: false,
  burst: true,
  readBytes: MAX_DATA,
  readWindow: 4,
  plainWindow: 2,
  maxChunkBytes: 192 * 1024,
  busyResets: 4,
  busyWaitMs: 0,
  maxReopens: 6,
};

const BUSY_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 4000, factor: 2, jitter: 0.3 };

/** Bytes re-read to prove a session still reads our file (one ReadFile). */
const REFERENCE_BYTES = MAX_DATA;

/** The last REFERENCE_BYTES of `before` followed by `data`. */
function keepTail(before: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length >= REFERENCE_BYTES) return data.slice(data.length - REFERENCE_BYTES);
  const out = new Uint8Array(Math.min(REFERENCE_BYTES, before.length + data.length));
  const fromBefore = out.length - data.length;
  out.set(before.subarray(before.length - fromBefore), 0);
  out.set(data, fromBefore);
  return out;
}

/** Bounded page count for one directory (a directory of 40 000 entries at ~10 per page). */
const MAX_LIST_PAGES = 4096;

/**
 * The MAVFTP client. Every operation is one turn of a serial queue owned by this client (the link
 * has one owner, so our own requests never collide — the "FTP: Busy" of the seed). A file read is
 * many turns, one per chunk, so a listing waits at most one chunk. A file read also holds the
 * session lock, because PX4 has one session per link.
 */
export class MavftpClient {
  readonly channel: FtpChannel;
  private readonly options: typeof DEFAULTS;
  private readonly clock: Clock;
  private queueTail: Promise<unknown> = Promise.resolve();
  private sessionTail: Promise<unknown> = Promise.resolve();
  private withTime = true;
  private rebooted = false;
  /** Monotonic ms of our last successful Open. */
  private openedAt: number | undefined;
  private counters = { reopens: 0, hijacks: 0, busyResets: 0, busyWaits: 0, armedPauses: 0, burstChunks: 0, plainChunks: 0 };
  /** Learns per link whether bursts or pipelined plain reads are faster. */
  private readonly readMode: ReadModePicker;

  constructor(readonly link: MavlinkLink, options: MavftpClientOptions = {}) {
    this.clock = options.clock ?? systemClock;
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { ...DEFAULTS, ...defined } as typeof DEFAULTS;
    this.options.readBytes = Math.max(1, Math.min(MAX_DATA, this.options.readBytes));
    this.readMode = new ReadModePicker(this.options.burst, this.options.plainWindow > 0);
    this.channel = new FtpChannel(link, { requestTimeoutMs: this.options.requestTimeoutMs, maxSends: this.options.maxSends, clock: this.clock });
    link.onReboot(() => {
      // The reboot is seen in the first SYSTEM_TIME after it, which may come after we already
      // re-opened (InvalidSession got there first): only a session older than the boot is lost.
      const bootAt = this.clock.monotonic() - (link.vehicle?.timeBootMs ?? 0);
      if (this.openedAt === undefined || this.openedAt < bootAt) this.rebooted = true;
    });
  }

  get stats(): ClientStats {
    return { sends: this.channel.sends, retransmits: this.channel.retransmits, ...this.counters, srttMs: this.channel.rtt.smoothedMs };
  }

  /** Runs `fn` as one turn of the link's queue. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queueTail.then(fn, fn);
    this.queueTail = run.catch(() => undefined);
    return run;
  }

  /** Every entry of one directory, paged by entry index (skip entries count toward the index). */
  listDirectory(path: string, signal?: AbortSignal): Promise<ListedEntry[]> {
    return this.exclusive(async () => {
      const out: ListedEntry[] = [];
      let index = 0;
      for (let page = 0; page < MAX_LIST_PAGES; page++) {
        let entries: DirEntry[];
        try {
          const reply = await this.channel.request(
            { opcode: this.withTime ? Opcode.ListDirectoryWithTime : Opcode.ListDirectory, offset: index, data: pathData(path) },
            { matches: (r) => r.offset === index, ...(signal ? { signal } : {}) },
          );
          entries = parseDirEntries(reply.data);
        } catch (err) {
          if (err instanceof NakReply && err.nak.error === NakError.EOF) return out;
          if (err instanceof NakReply && err.nak.error === NakError.UnknownCommand && this.withTime) {
            // PX4 before 2026-06 has no ListDirectoryWithTime; fall back once for this link.
            this.withTime = false;
            page--;
            continue;
          }
          throw err;
        }
        // An empty ACK: an entry too long to fit (skip it) or an empty directory on PX4 ≤ v1.15.
        if (entries.length === 0) {
          index++;
          continue;
        }
        index += entries.length;
        for (const e of entries) if (e.kind !== 'skip') out.push({ kind: e.kind, name: e.name, size: e.kind === 'file' ? e.size : 0, mtimeSec: e.mtimeSec ?? 0 });
      }
      throw new TransientError('internal', `${path}: directory listing did not end after ${MAX_LIST_PAGES} pages`);
    });
  }

  /** CalcFileCRC32 of the file as it is now on the vehicle (PX4's variant: init 0, no final XOR). */
  crc32(path: string): Promise<number> {
    return this.exclusive(async () => {
      const reply = await this.channel.request({ opcode: Opcode.CalcFileCRC32, data: pathData(path) }, { timeoutMs: this.options.crcTimeoutMs, maxSends: 3 });
      return dataAsU32(reply);
    });
  }

  remove(path: string): Promise<void> {
    return this.exclusive(async () => {
      await this.channel.request({ opcode: Opcode.RemoveFile, data: pathData(path) });
    });
  }

  /** Closes whatever session is open on this link, ours or a crashed client's. Always ACKed. */
  resetSessions(): Promise<void> {
    return this.exclusive(async () => {
      await this.channel.request({ opcode: Opcode.ResetSessions });
    });
  }

  /**
   * Reads a file from `offset` to the end as chunks. Reboots and lost sessions re-open the file
   * and continue at the current offset; arming pauses between chunks (session closed) and
   * disarming resumes at the same offset.
   */
  async *readFile(path: string, offset: number, options: ReadFileOptions = {}): AsyncGenerator<Uint8Array> {
    const release = await this.lockSession();
    let open = false;
    try {
      let size = await this.open(path);
      open = true;
      let at = offset;
      // Bytes just before `at` known to be this file's, and since when the session is known to be
      // ours: a chunk read across a silence of the autopilot is checked against them.
      let tail = at > 0 ? await this.readReference(at, options.signal) : new Uint8Array();
      let trustedSince = this.clock.monotonic();
      let reopensWithoutProgress = 0;
      while (at < size) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (await this.pauseWhileArmed(open, options)) {
          open = false;
          size = await this.open(path);
          open = true;
          trustedSince = this.clock.monotonic();
          continue;
        }
        let chunk: Chunk;
        try {
          if (this.rebooted) {
            this.rebooted = false;
            throw new SessionLost('autopilot rebooted');
          }
          const mode = this.readMode.next(this.channel.rtt.smoothedMs);
          const startedAt = this.clock.monotonic();
          chunk = await this.exclusive(() => readChunk(this.channel, this.clock, at, size, this.chunkOptions(mode, options.signal)));
          this.readMode.record(mode, chunk.data.length, this.clock.monotonic() - startedAt);
          this.counters[mode === 'burst' ? 'burstChunks' : 'plainChunks']++;
          // PX4 hands every client session 0: after a reboot our reads are served from whatever
          // file another client opened first, and only the CRC at the end would tell. The chunk
          // is dropped (not yielded) unless the session is still provably ours.
          if (this.rebooted) throw new SessionLost('autopilot rebooted during a chunk');
          if (this.link.silenceEndedAt > trustedSince && !(await this.sameFile(at, tail, options.signal))) {
            this.counters.hijacks++;
            throw new SessionLost('session not ours after a silence of the autopilot');
          }
          trustedSince = this.clock.monotonic();
        } catch (err) {
          if (!(err instanceof SessionLost)) throw err;
          if (++reopensWithoutProgress > this.options.maxReopens) {
            throw new TransientError('disconnected', `${path}: session lost ${reopensWithoutProgress} times without progress`, { cause: err });
          }
          this.counters.reopens++;
          open = false;
          size = await this.open(path);
          open = true;
          trustedSince = this.clock.monotonic();
          continue;
        }
        if (chunk.data.length > 0) {
          reopensWithoutProgress = 0;
          at += chunk.data.length;
          tail = keepTail(tail, chunk.data);
          yield chunk.data;
        }
        if (chunk.eof) break;
      }
    } finally {
      if (open) await this.terminate().catch(() => undefined);
      release();
    }
  }

  /** The bytes just before `at`, read right after an Open (so from our own session). */
  private async readReference(at: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const from = at - Math.min(at, REFERENCE_BYTES);
    try {
      const reply = await this.exclusive(() =>
        this.channel.request({ session: 0, opcode: Opcode.ReadFile, size: at - from, offset: from }, { matches: (r) => r.offset === from, ...(signal ? { signal } : {}) }),
      );
      return reply.data;
    } catch (err) {
      if (err instanceof NakReply && err.nak.error === NakError.InvalidSession) throw new SessionLost('ReadFile: session lost');
      // No reference (a file shorter than its offset): a later silence then means a re-open.
      if (err instanceof NakReply) return new Uint8Array();
      throw err;
    }
  }

  /**
   * Whether the open session still reads this file: re-reads `tail` (the bytes before `at`) and
   * compares. Another client's file differs there (or ends before); no reference means no proof.
   */
  private async sameFile(at: number, tail: Uint8Array, signal: AbortSignal | undefined): Promise<boolean> {
    if (tail.length === 0) return false;
    const from = at - tail.length;
    try {
      const reply = await this.exclusive(() =>
        this.channel.request({ session: 0, opcode: Opcode.ReadFile, size: tail.length, offset: from }, { matches: (r) => r.offset === from, ...(signal ? { signal } : {}) }),
      );
      return reply.data.length === tail.length && reply.data.every((b, i) => b === tail[i]);
    } catch (err) {
      if (err instanceof NakReply && err.nak.error === NakError.InvalidSession) throw new SessionLost('ReadFile: session lost');
      if (err instanceof NakReply) return false;
      throw err;
    }
  }

  /** Opens a file read-only, resetting a session someone else left open; returns its size. */
  private async open(path: string): Promise<number> {
    const waitUntil = this.clock.monotonic() + this.options.busyWaitMs;
    for (let round = 0, waits = 0; ; round++) {
      try {
        const reply = await this.exclusive(() => this.channel.request({ opcode: Opcode.OpenFileRO, data: pathData(path) }));
        this.rebooted = false;
        this.openedAt = this.clock.monotonic();
        return dataAsU32(reply);
      } catch (err) {
        const busy = err instanceof NakReply && err.nak.error === NakError.NoSessionsAvailable;
        if (!busy || round >= this.options.busyResets + waits) throw err;
        const left = waitUntil - this.clock.monotonic();
        if (left > 0) {
          // Another ground station's transfer may finish: give it time before taking the session.
          waits++;
          this.counters.busyWaits++;
          await sleep(Math.min(left, backoffDelay(BUSY_BACKOFF, waits - 1)), this.clock);
          continue;
        }
        // A crashed client's session, or ours whose Open reply was lost after PX4's reply cache
        // moved on: either way nobody else may use it while we read, so reset and retry.
        this.counters.busyResets++;
        await this.resetSessions();
      }
    }
  }

  private async terminate(): Promise<void> {
    await this.exclusive(async () => {
      try {
        await this.channel.request({ opcode: Opcode.TerminateSession, session: 0 }, { maxSends: 4 });
      } catch (err) {
        // InvalidSession: already closed (timeout, reboot): nothing to do.
        if (!(err instanceof NakReply && err.nak.error === NakError.InvalidSession)) throw err;
      }
    });
  }

  /** Waits, with the session closed, while the vehicle is armed. Returns true if it paused. */
  private async pauseWhileArmed(open: boolean, options: ReadFileOptions): Promise<boolean> {
    if (this.options.transferWhileArmed || !this.link.vehicle?.armed) return false;
    this.counters.armedPauses++;
    if (open) await this.terminate().catch(() => undefined);
    options.onPause?.(true);
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (options.signal?.aborted) {
          off();
          reject(options.signal.reason);
        } else if (!this.link.vehicle?.armed) {
          off();
          resolve();
        }
      };
      const off = this.link.onStateChange(check);
      options.signal?.addEventListener('abort', check, { once: true });
      check();
    });
    options.onPause?.(false);
    return true;
  }

  private chunkOptions(mode: ReadMode, signal: AbortSignal | undefined): ChunkOptions {
    const { readBytes, readWindow, plainWindow, maxChunkBytes } = this.options;
    // With bursts configured off, plain reads keep their old few-rounds-per-chunk shape.
    const plain = mode === 'plain' && this.options.burst ? { plainWindow } : {};
    const chunkBytes = this.readMode.isTrial(mode) ? Math.min(maxChunkBytes, TRIAL_CHUNK_BYTES) : maxChunkBytes;
    return { burst: mode === 'burst', readBytes, readWindow, maxChunkBytes: chunkBytes, ...plain, ...(signal ? { signal } : {}) };
  }

  private async lockSession(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.sessionTail;
    this.sessionTail = previous.then(() => held);
    await previous;
    return release;
  }
}
