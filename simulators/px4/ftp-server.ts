import { closeSync, fstatSync, openSync, readSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import {
  type DirEntry,
  type FtpPayload,
  MAX_DATA,
  MAX_FTP_FRAME_BYTES,
  NakError,
  Opcode,
  dataAsPath,
  ftpPayload,
  nakPayload,
  packDirEntries,
  px4Crc32,
  u32Data,
} from '@filesync/mavftp-codec';
import { resolveVehiclePath } from './vehicle-fs';

/** Who sent a request: PX4 replies to the sender's sysid/compid (mavlink_ftp.cpp `_process_request`). */
export interface Sender {
  readonly sysid: number;
  readonly compid: number;
}

export interface ServerPort {
  /** Sends one FTP reply towards `to` through this MAVLink instance's TX buffer. */
  reply(to: Sender, payload: FtpPayload): void;
  /** PX4 `get_free_tx_buf()`: what a burst may still put on the wire this cycle. */
  freeTxBytes(): number;
}

export interface ServerOptions {
  readonly root: string;
  readonly sysid: number;
  readonly compid: number;
  readonly sessionTimeoutMs: () => number;
  readonly burstStopAfterFrames: () => number;
  /** Which PX4 to imitate where released versions differ from main (see faults.ts `px4`). */
  readonly px4Version: () => 'main' | 'v1.15';
  /** List `.` and `..` as directories, as a hostile server would (fault `dotDirs`). */
  readonly dotDirs?: () => boolean;
  /** CRC32 answer for a path; a fault may corrupt it. */
  readonly crcFault: (vehiclePath: string, crc: number) => number;
  /** A NAK error code to refuse OpenFileRO of a path with (a fault; FailErrno carries EIO), or undefined. */
  readonly openFault?: (vehiclePath: string) => number | undefined;
}

export interface ServerCounters {
  requests: Record<string, number>;
  /** File bytes sent per vehicle path (ReadFile and burst), to prove resumes do not restart at 0. */
  bytesServed: Record<string, number>;
  opens: number;
  resets: number;
  naks: Record<string, number>;
}

interface Session {
  fd: number;
  path: string;
  /** Size at open (stat), as PX4's `_session_info.file_size`: reads past it NAK EOF even if the file grew. */
  fileSize: number;
}

interface Stream {
  offset: number;
  seq: number;
  sentInChunk: number;
  frames: number;
  to: Sender;
}

/** PX4's "perform transfers in 35K chunks" (mavlink_ftp.cpp `send()`). */
const BURST_CHUNK_BYTES = 35_000;
const NAMES: Record<number, string> = Object.fromEntries(Object.entries(Opcode).map(([k, v]) => [v, k]));

/**
 * PX4's FTP server for one MAVLink instance (link): one session, PX4's NAK codes and reply-cache
 * rules, ListDirectory packing, burst streaming paced by the TX budget, CRC32. See
 * docs/mavftp.md for the PX4 source each rule follows.
 */
export class Px4FtpServer {
  readonly counters: ServerCounters = { requests: {}, bytesServed: {}, opens: 0, resets: 0, naks: {} };
  private session: Session | undefined;
  private stream: Stream | undefined;
  private lastReply: { payload: FtpPayload; to: Sender } | undefined;
  private lastRequestAt = performance.now();
  private lastErrno = 0;

  constructor(private readonly options: ServerOptions, private readonly port: ServerPort) {}

  get sessionOpen(): boolean {
    return this.session !== undefined;
  }

  get sessionPath(): string | undefined {
    return this.session?.path;
  }

  /** Drops every session and the reply cache, as a reboot does. */
  reset(): void {
    this.closeSession();
    this.lastReply = undefined;
  }

  handle(from: Sender, target: { system: number; component: number }, req: FtpPayload): void {
    // PX4 answers only requests for its own ids or broadcast (0).
    if (target.system !== 0 && target.system !== this.options.sysid) return;
    if (target.component !== 0 && target.component !== this.options.compid) return;
    const name = NAMES[req.opcode] ?? `Opcode(${req.opcode})`;
    this.counters.requests[name] = (this.counters.requests[name] ?? 0) + 1;
    this.lastRequestAt = performance.now();

    if (req.size > MAX_DATA) return this.send(from, this.nak(req, NakError.InvalidDataSize));
    // A resent request (its reply got lost) gets the cached reply again and is not executed.
    const cached = this.lastReply;
    if (cached && ((req.seq + 1) | 0) === cached.payload.seq && cached.to.sysid === from.sysid && cached.to.compid === from.compid) {
      this.port.reply(from, cached.payload);
      return;
    }
    this.lastReply = undefined;
    const reply = this.execute(req, from);
    if (reply) this.send(from, reply);
  }

  /** PX4's `MavlinkFTP::send()`, run every ~10 ms by the link's receive loop. */
  tick(): void {
    if (this.session && performance.now() - this.lastRequestAt > this.options.sessionTimeoutMs()) {
      // "Session was closed without activity"; outgoing burst frames do not count as activity.
      this.closeSession();
      this.lastReply = undefined;
    }
    const stream = this.stream;
    const session = this.session;
    if (!stream || !session) return;
    let budget = this.port.freeTxBytes();
    if (budget < MAX_FTP_FRAME_BYTES) return;
    for (;;) {
      const stopAfter = this.options.burstStopAfterFrames();
      if (stopAfter > 0 && stream.frames >= stopAfter) {
        // Fault: the stream dies quietly, as bursts that end early on real links do.
        this.stream = undefined;
        return;
      }
      const seq = stream.seq;
      stream.seq = (stream.seq + 1) & 0xffff;
      stream.frames++;
      const header = { seq: seq - 1, session: 0, opcode: Opcode.BurstReadFile, offset: stream.offset };
      if (stream.offset >= session.fileSize) {
        this.stream = undefined;
        this.send(stream.to, { ...this.nak(header, NakError.EOF), session: 0 });
        return;
      }
      const data = this.readAt(session, stream.offset, MAX_DATA);
      if (data === undefined) {
        this.stream = undefined;
        this.send(stream.to, { ...this.nak(header, NakError.FailErrno), session: 0 });
        return;
      }
      stream.offset += data.length;
      stream.sentInChunk += data.length;
      this.served(session.path, data.length);
      let complete = false;
      let more = true;
      if (budget < MAX_FTP_FRAME_BYTES * 2) {
        more = false;
        if (stream.sentInChunk > BURST_CHUNK_BYTES) {
          complete = true;
          this.stream = undefined;
        }
      } else {
        budget -= MAX_FTP_FRAME_BYTES;
      }
      this.send(
        stream.to,
        ftpPayload({ seq, session: 0, opcode: Opcode.Ack, reqOpcode: Opcode.BurstReadFile, burstComplete: complete, offset: header.offset, data }),
      );
      if (!more) return;
    }
  }

  close(): void {
    this.closeSession();
  }

  private send(to: Sender, reply: FtpPayload): void {
    // Only small replies are cached for resends (`size` ≤ 4); main does not cache NoSessionsAvailable.
    if (reply.size <= 4 && !(reply.opcode === Opcode.Nak && reply.data[0] === NakError.NoSessionsAvailable)) {
      this.lastReply = { payload: reply, to };
    }
    if (reply.opcode === Opcode.Nak) {
      const key = String(reply.data[0]);
      this.counters.naks[key] = (this.counters.naks[key] ?? 0) + 1;
    }
    this.port.reply(to, reply);
  }

  private nak(req: Pick<FtpPayload, 'seq' | 'session' | 'opcode' | 'offset'>, error: number): FtpPayload {
    // PX4 turns an ENOENT failure into FileNotFound (mavlink_ftp.cpp `_process_request`, after `out:`).
    if (error === NakError.FailErrno && this.lastErrno === 2) return nakPayload(req, { error: NakError.FileNotFound });
    return nakPayload(req, error === NakError.FailErrno ? { error, errno: this.lastErrno } : { error });
  }

  private ack(req: FtpPayload, fields: Partial<FtpPayload>): FtpPayload {
    const data = fields.data ?? new Uint8Array();
    return { ...req, ...fields, seq: (req.seq + 1) & 0xffff, opcode: Opcode.Ack, reqOpcode: req.opcode, size: fields.size ?? data.length, data, burstComplete: false };
  }

  private execute(req: FtpPayload, from: Sender): FtpPayload | undefined {
    switch (req.opcode) {
      case Opcode.None:
        return this.ack(req, {});
      case Opcode.TerminateSession:
        if (req.session !== 0 || !this.session) return this.nak(req, NakError.InvalidSession);
        this.closeSession();
        return this.ack(req, {});
      case Opcode.ResetSessions:
        this.counters.resets++;
        this.closeSession();
        return this.ack(req, {});
      case Opcode.ListDirectoryWithTime:
        // Opcode 16 reached PX4 main in 2026-06; released versions do not know it.
        if (this.options.px4Version() === 'v1.15') return this.nak(req, NakError.UnknownCommand);
        return this.list(req);
      case Opcode.ListDirectory:
        return this.list(req);
      case Opcode.OpenFileRO:
        return this.open(req);
      case Opcode.ReadFile:
        return this.read(req);
      case Opcode.BurstReadFile: {
        if (req.session !== 0 || !this.session) return this.nak(req, NakError.InvalidSession);
        // No ACK: the stream is the answer (seq of the request + 1, + 2, ...).
        this.stream = { offset: req.offset, seq: (req.seq + 1) & 0xffff, sentInChunk: 0, frames: 0, to: from };
        return undefined;
      }
      case Opcode.CalcFileCRC32:
        return this.crc(req);
      case Opcode.RemoveFile:
        return this.remove(req);
      default:
        // Writes are not part of a log source; this PX4 build answers them UnknownCommand.
        return this.nak(req, NakError.UnknownCommand);
    }
  }

  private resolve(req: FtpPayload): string | FtpPayload {
    const path = resolveVehiclePath(this.options.root, dataAsPath(req));
    return path ?? this.nak(req, NakError.FileProtected);
  }

  private list(req: FtpPayload): FtpPayload {
    const dir = this.resolve(req);
    if (typeof dir !== 'string') return dir;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      this.lastErrno = errnoOf(err);
      return this.nak(req, NakError.FileNotFound);
    }
    const withTime = req.opcode === Opcode.ListDirectoryWithTime;
    // POSIX readdir (SITL) also returns `.` and `..`, sent as skip entries; the released-vehicle
    // flavour imitates NuttX's FAT readdir, which has neither.
    const dots: DirEntry[] = this.options.dotDirs?.()
      ? [{ kind: 'dir', name: '.' }, { kind: 'dir', name: '..' }]
      : [{ kind: 'skip' }, { kind: 'skip' }];
    const all: DirEntry[] = this.options.px4Version() === 'v1.15' && !this.options.dotDirs?.() ? [] : dots;
    for (const name of names) {
      try {
        const st = statSync(`${dir}/${name}`);
        if (st.isFile()) all.push({ kind: 'file', name, size: st.size, mtimeSec: Math.floor(st.mtimeMs / 1000) });
        else if (st.isDirectory()) all.push({ kind: 'dir', name });
        else all.push({ kind: 'skip' });
      } catch {
        all.push({ kind: 'skip' });
      }
    }
    if (req.offset >= all.length) {
      // PX4 ≤ v1.15 answered an empty listing at offset 0 with an empty ACK instead of EOF.
      if (req.offset === 0 && this.options.px4Version() === 'v1.15') return this.ack(req, {});
      return this.nak(req, NakError.EOF);
    }
    const { data } = packDirEntries(all.slice(req.offset), withTime);
    return this.ack(req, { data });
  }

  private open(req: FtpPayload): FtpPayload {
    if (this.session) return this.nak(req, NakError.NoSessionsAvailable);
    const path = this.resolve(req);
    if (typeof path !== 'string') return path;
    const refusal = this.options.openFault?.(dataAsPath(req));
    if (refusal !== undefined) {
      this.lastErrno = 5; // EIO: what a failing SD card gives
      return this.nak(req, refusal);
    }
    try {
      const fd = openSync(path, 'r');
      const size = fstatSync(fd).size;
      this.session = { fd, path: dataAsPath(req), fileSize: size };
      this.counters.opens++;
      return this.ack(req, { session: 0, data: u32Data(size) });
    } catch (err) {
      this.lastErrno = errnoOf(err);
      return this.nak(req, NakError.FailErrno);
    }
  }

  private read(req: FtpPayload): FtpPayload {
    const session = this.session;
    if (req.session !== 0 || !session) return this.nak(req, NakError.InvalidSession);
    if (req.offset >= session.fileSize) return this.nak(req, NakError.EOF);
    const data = this.readAt(session, req.offset, Math.min(req.size, MAX_DATA));
    if (data === undefined) return this.nak(req, NakError.FailErrno);
    this.served(session.path, data.length);
    return this.ack(req, { data });
  }

  private crc(req: FtpPayload): FtpPayload {
    const path = this.resolve(req);
    if (typeof path !== 'string') return path;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      this.lastErrno = errnoOf(err);
      return this.nak(req, NakError.FailErrno);
    }
    try {
      // The whole current file, as PX4 reads it (size at request time, not at open).
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(size);
      let at = 0;
      while (at < size) {
        const n = readSync(fd, buf, at, size - at, at);
        if (n <= 0) break;
        at += n;
      }
      const crc = this.options.crcFault(dataAsPath(req), px4Crc32(buf.subarray(0, at)));
      return this.ack(req, { data: u32Data(crc) });
    } finally {
      closeSync(fd);
    }
  }

  private remove(req: FtpPayload): FtpPayload {
    const path = this.resolve(req);
    if (typeof path !== 'string') return path;
    try {
      unlinkSync(path);
      return this.ack(req, {});
    } catch (err) {
      this.lastErrno = errnoOf(err);
      return this.nak(req, NakError.FailErrno);
    }
  }

  private readAt(session: Session, offset: number, want: number): Uint8Array | undefined {
    const buf = Buffer.alloc(want);
    try {
      const n = readSync(session.fd, buf, 0, want, offset);
      return buf.subarray(0, n);
    } catch (err) {
      this.lastErrno = errnoOf(err);
      return undefined;
    }
  }

  private served(path: string, bytes: number): void {
    this.counters.bytesServed[path] = (this.counters.bytesServed[path] ?? 0) + bytes;
  }

  private closeSession(): void {
    if (this.session) closeSync(this.session.fd);
    this.session = undefined;
    this.stream = undefined;
  }
}

function errnoOf(err: unknown): number {
  const code = (err as { errno?: unknown } | null)?.errno;
  // Node reports negative errnos (-2 for ENOENT); PX4 sends the positive value.
  return typeof code === 'number' ? Math.abs(code) & 0xff : 5;
}
