import { describe, expect, it } from 'vitest';
import { ManualClock } from '@filesync/core';
import { patternBytes, sha256Hex } from '@filesync/core/testing';
import { type FtpPayload, NakError, Opcode, dataAsPath, ftpPayload, nakPayload, u32Data } from '@filesync/mavftp-codec';
import { MavftpClient } from './ftp-client';
import type { MavlinkLink } from './mavlink-link';

const OURS = '/fs/microsd/log/2026-11-20/18_44_34.ulg';
const THEIRS = '/fs/microsd/log/2026-11-20/10_31_07.ulg';

/**
 * PX4's one FTP session (id 0 for every client), answering at once, on a manual clock. `hijackOnce`'s fault runs
 * before a ReadFile at its offset is served, so a test can power-cycle the autopilot mid-chunk and
 * let another client open its own file first, as PX4 allows in the second after a boot in which
 * it serves FTP but has not sent SYSTEM_TIME yet (measured on PX4 SITL).
 */
class OneSessionPx4 {
  readonly clock = new ManualClock();
  session: string | undefined;
  silenceEnded = Number.NEGATIVE_INFINITY;
  readonly opens: string[] = [];
  private listener: ((p: FtpPayload) => void) | undefined;
  private readonly reboots = new Set<() => void>();
  private fault: ((offset: number) => void) | undefined;

  constructor(readonly files: Readonly<Record<string, Uint8Array>>) {}

  /** The parts of MavlinkLink the client and its channel use. */
  readonly link = {
    description: 'one-session px4',
    error: undefined,
    vehicle: { sysid: 1, compid: 1, armed: false, lastHeartbeatAt: 0, reboots: 0, timeBootMs: 60_000 },
    onFtp: (l: (p: FtpPayload) => void): void => {
      this.listener = l;
    },
    onReboot: (l: () => void): (() => void) => {
      this.reboots.add(l);
      return () => this.reboots.delete(l);
    },
    onStateChange: (): (() => void) => () => undefined,
    sendFtp: (p: FtpPayload): void => {
      queueMicrotask(() => this.listener?.(this.answer(p)));
    },
    silenceEndedAt: 0,
  };

  get mavlinkLink(): MavlinkLink {
    Object.defineProperty(this.link, 'silenceEndedAt', { get: () => this.silenceEnded });
    return this.link as unknown as MavlinkLink; // structural stand-in: the client touches only these members
  }

  /** Whether `hijackOnce`'s fault has fired. */
  hijacked = false;

  /** The first ReadFile at an offset `at` accepts is preceded by `rebootAndHijack(seen)`. */
  hijackOnce(seen: 'silence' | 'system-time', at: (offset: number) => boolean): void {
    this.fault = (offset) => {
      if (this.hijacked || !at(offset)) return;
      this.hijacked = true;
      this.rebootAndHijack(seen);
    };
  }

  /** A power cycle after which another client's Open came first; `seen` says how the client may notice. */
  rebootAndHijack(seen: 'silence' | 'system-time'): void {
    this.session = THEIRS;
    this.opens.push(`other:${THEIRS}`);
    this.clock.advance(1500);
    if (seen === 'silence') this.silenceEnded = this.clock.monotonic();
    else {
      this.link.vehicle = { ...this.link.vehicle, reboots: 1, timeBootMs: 900 };
      for (const l of this.reboots) l();
    }
  }

  private answer(req: FtpPayload): FtpPayload {
    const ack = (fields: Partial<FtpPayload>): FtpPayload => ftpPayload({ ...req, seq: (req.seq + 1) & 0xffff, opcode: Opcode.Ack, reqOpcode: req.opcode, offset: req.offset, ...fields });
    switch (req.opcode) {
      case Opcode.OpenFileRO: {
        if (this.session) return nakPayload(req, { error: NakError.NoSessionsAvailable });
        const path = dataAsPath(req);
        this.session = path;
        this.opens.push(path);
        return ack({ session: 0, data: u32Data(this.files[path]!.length) });
      }
      case Opcode.TerminateSession:
      case Opcode.ResetSessions:
        if (req.opcode === Opcode.TerminateSession && !this.session) return nakPayload(req, { error: NakError.InvalidSession });
        this.session = undefined;
        return ack({});
      case Opcode.ReadFile: {
        this.fault?.(req.offset);
        if (!this.session) return nakPayload(req, { error: NakError.InvalidSession });
        const file = this.files[this.session]!;
        if (req.offset >= file.length) return nakPayload(req, { error: NakError.EOF });
        return ack({ data: file.subarray(req.offset, req.offset + req.size) });
      }
      default:
        return nakPayload(req, { error: NakError.UnknownCommand });
    }
  }
}

async function readAll(px4: OneSessionPx4, from = 0): Promise<{ bytes: Buffer; client: MavftpClient }> {
  const client = new MavftpClient(px4.mavlinkLink, { clock: px4.clock, burst: false, plainWindow: 4, maxChunkBytes: 8 * 1024 });
  const parts: Uint8Array[] = [];
  for await (const chunk of client.readFile(OURS, from)) parts.push(chunk);
  return { bytes: Buffer.concat(parts), client };
}

describe('MavftpClient: a reboot hands session 0 to another client before we notice', () => {
  const ours = patternBytes(40_000, 31);
  const theirs = patternBytes(30_000, 32);

  it('drops the chunk read after a silence of the autopilot when its session reads another file, and reads on from its offset', async () => {
    const px4 = new OneSessionPx4({ [OURS]: ours, [THEIRS]: theirs });
    px4.hijackOnce('silence', (offset) => offset >= 20_000);
    const { bytes, client } = await readAll(px4);
    expect(px4.hijacked).toBe(true);
    expect(bytes.length).toBe(ours.length);
    expect(sha256Hex(bytes)).toBe(sha256Hex(ours));
    expect(client.stats.hijacks).toBe(1);
    // Our file opened again after the other client's session was reset, not read from zero.
    expect(px4.opens).toEqual([OURS, `other:${THEIRS}`, OURS]);
    expect(client.stats.busyResets).toBe(1);
  });

  it('drops the chunk during which SYSTEM_TIME showed a reboot, and reads on from its offset', async () => {
    const px4 = new OneSessionPx4({ [OURS]: ours, [THEIRS]: theirs });
    px4.hijackOnce('system-time', (offset) => offset >= 20_000);
    const { bytes, client } = await readAll(px4);
    expect(px4.hijacked).toBe(true);
    expect(sha256Hex(bytes)).toBe(sha256Hex(ours));
    expect(client.stats.reopens).toBe(1);
    expect(px4.opens).toEqual([OURS, `other:${THEIRS}`, OURS]);
  });

  it('a read resumed at an offset keeps a reference read from its own session, so a later hijack is caught too', async () => {
    const px4 = new OneSessionPx4({ [OURS]: ours, [THEIRS]: theirs });
    px4.hijackOnce('silence', (offset) => offset >= 12_000 && offset < 16_000);
    const { bytes, client } = await readAll(px4, 10_000);
    expect(px4.hijacked).toBe(true);
    expect(sha256Hex(bytes)).toBe(sha256Hex(ours.subarray(10_000)));
    expect(client.stats.hijacks).toBe(1);
  });
});
