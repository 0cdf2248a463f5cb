import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FtpPayload, MAX_DATA, NakError, Opcode, dataAsU32, ftpPayload, parseDirEntries, pathData, px4Crc32 } from '@filesync/mavftp-codec';
import { Px4FtpServer, type Sender } from './ftp-server';

const GCS: Sender = { sysid: 1, compid: 191 };
const TARGET = { system: 1, component: 1 };

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('PX4 FTP server (simulated)', () => {
  let root: string;
  let replies: FtpPayload[];
  let budget: number;
  let version: 'main' | 'v1.15';
  let server: Px4FtpServer;
  const file = bytes(100_000, 7);
  const send = (p: Partial<FtpPayload> & { seq: number; opcode: number }, from: Sender = GCS): FtpPayload | undefined => {
    const before = replies.length;
    server.handle(from, TARGET, ftpPayload(p));
    return replies.length > before ? replies[replies.length - 1] : undefined;
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'fs-px4-srv-'));
    const put = async (p: string, b: Uint8Array): Promise<void> => {
      await mkdir(dirname(join(root, p)), { recursive: true });
      await writeFile(join(root, p), b);
    };
    await put('fs/microsd/log/2026-11-20/10_31_07.ulg', file);
    await put('fs/microsd/log/2026-11-20/11_00_00.ulg', bytes(10, 1));
    replies = [];
    budget = 1500;
    version = 'main';
    server = new Px4FtpServer(
      { root, sysid: 1, compid: 1, sessionTimeoutMs: () => 30_000, burstStopAfterFrames: () => 0, px4Version: () => version, crcFault: (_p, c) => c },
      { reply: (_to, p) => void replies.push(p), freeTxBytes: () => budget },
    );
  });
  afterEach(async () => {
    server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('answers seq + 1 with req_opcode, and OpenFileRO with session 0 and the size as u32', () => {
    const r = send({ seq: 41, session: 7, opcode: Opcode.OpenFileRO, data: pathData('/fs/microsd/log/2026-11-20/10_31_07.ulg') });
    expect(r).toMatchObject({ seq: 42, opcode: Opcode.Ack, reqOpcode: Opcode.OpenFileRO, session: 0, size: 4 });
    expect(dataAsU32(r!)).toBe(100_000);
  });

  it('gives NoSessionsAvailable to a second Open and InvalidSession to a read without a session', () => {
    expect(send({ seq: 1, opcode: Opcode.ReadFile, size: 10 })?.data[0]).toBe(NakError.InvalidSession);
    send({ seq: 3, opcode: Opcode.OpenFileRO, data: pathData('/fs/microsd/log/2026-11-20/10_31_07.ulg') });
    const second = send({ seq: 5, opcode: Opcode.OpenFileRO, data: pathData('/fs/microsd/log/2026-11-20/11_00_00.ulg') }, { sysid: 255, compid: 190 });
    expect(second).toMatchObject({ opcode: Opcode.Nak, size: 1 });
    expect(second?.data[0]).toBe(NakError.NoSessionsAvailable);
    expect(send({ seq: 7, opcode: Opcode.ResetSessions })).toMatchObject({ opcode: Opcode.Ack, size: 0 });
    expect(send({ seq: 9, session: 0, opcode: Opcode.TerminateSession })?.data[0]).toBe(NakError.InvalidSession);
  });

  it('NAKs a missing file FileNotFound, EOF past the end, `..` FileProtected, an oversize request InvalidDataSize, writes UnknownCommand', () => {
    expect(send({ seq: 1, opcode: Opcode.OpenFileRO, data: pathData('/fs/microsd/log/nope.ulg') })?.data[0]).toBe(NakError.FileNotFound);
    expect(send({ seq: 3, opcode: Opcode.OpenFileRO, data: pathData('/fs/microsd/log/../x') })?.data[0]).toBe(NakError.FileProtected);
    expect(send({ seq: 5, opcode: Opcode.CreateFile, data: pathData('/x') })?.data[0]).toBe(NakError.UnknownCommand);
    expect(send({ seq: 7, opcode: Opcode.ReadFile, size: 240 })?.data[0]).toBe(NakError.InvalidDataSize);
    send({ seq: 9, opcode: Opcode.OpenFileRO, data: pathData('/fs/microsd/log/2026-11-20/10_31_07.ulg') });
    expect(send({ seq: 11, opcode: Opcode.ReadFile, size: 100, offset: 100_000 })?.data[0]).toBe(NakError.EOF);
    const r = send({ seq: 13, opcode: Opcode.ReadFile, size: 100, offset: 99_950 });
    expect(r?.size).toBe(50);
    expect(Buffer.from(r!.data).equals(file.subarray(99_950))).toBe(true);
  });

  it('re-sends the cached small reply for a repeated seq instead of executing again', () => {
    const path = pathData('/fs/microsd/log/2026-11-20/10_31_07.ulg');
    const first = send({ seq: 20, opcode: Opcode.OpenFileRO, data: path });
    const again = send({ seq: 20, opcode: Opcode.OpenFileRO, data: path });
    expect(again).toEqual(first);
    // A different request flushes the cache; the repeat is then executed and meets its own session.
    send({ seq: 22, opcode: Opcode.ListDirectory, data: pathData('/fs/microsd/log') });
    expect(send({ seq: 20, opcode: Opcode.OpenFileRO, data: path })?.data[0]).toBe(NakError.NoSessionsAvailable);
  });

  it('lists with S entries for . and .., D for directories, F name\\tsize for files, then EOF', () => {
    const r = send({ seq: 1, opcode: Opcode.ListDirectory, data: pathData('/fs/microsd/log/2026-11-20') });
    const entries = parseDirEntries(r!.data);
    expect(entries.filter((e) => e.kind === 'skip')).toHaveLength(2);
    expect(entries.filter((e) => e.kind === 'file').map((e) => (e.kind === 'file' ? [e.name, e.size] : [])).sort()).toEqual([
      ['10_31_07.ulg', 100_000],
      ['11_00_00.ulg', 10],
    ]);
    expect(send({ seq: 3, opcode: Opcode.ListDirectory, offset: 4, data: pathData('/fs/microsd/log/2026-11-20') })?.data[0]).toBe(NakError.EOF);
    expect(send({ seq: 5, opcode: Opcode.ListDirectory, data: pathData('/fs/microsd/nope') })?.data[0]).toBe(NakError.FileNotFound);
    const top = parseDirEntries(send({ seq: 7, opcode: Opcode.ListDirectory, data: pathData('@MAV_LOG') })!.data);
    expect(top).toContainEqual({ kind: 'dir', name: '2026-11-20' });
  });

  it('streams a burst paced by the TX budget, marks burst_complete after 35,000 bytes, ends with NAK EOF', () => {
    send({ seq: 100, opcode: Opcode.OpenFileRO, data: pathData('/fs/microsd/log/2026-11-20/10_31_07.ulg') });
    replies = [];
    expect(send({ seq: 200, session: 0, opcode: Opcode.BurstReadFile, size: 80, offset: 0 })).toBeUndefined();
    server.tick();
    // 1500 bytes of budget: frames while two frames' worth remain, plus the last one = 5 frames.
    expect(replies).toHaveLength(5);
    expect(replies.map((r) => r.seq)).toEqual([201, 202, 203, 204, 205]);
    expect(replies.every((r) => r.reqOpcode === Opcode.BurstReadFile && r.size === MAX_DATA && !r.burstComplete)).toBe(true);
    for (let i = 0; i < 100 && !replies.some((r) => r.burstComplete); i++) server.tick();
    const last = replies[replies.length - 1]!;
    expect(last.burstComplete).toBe(true);
    expect(last.offset + last.size).toBe(150 * MAX_DATA); // 35,850 bytes: the first cycle end past 35,000
    replies = [];
    send({ seq: 400, session: 0, opcode: Opcode.BurstReadFile, offset: 99_900 });
    server.tick();
    expect(replies[0]).toMatchObject({ seq: 401, size: 100, offset: 99_900, burstComplete: false });
    expect(replies[1]).toMatchObject({ seq: 402, opcode: Opcode.Nak, reqOpcode: Opcode.BurstReadFile, offset: 100_000 });
    expect(replies[1]?.data[0]).toBe(NakError.EOF);
  });

  it('sends no burst frame while the TX budget is under one frame', () => {
    send({ seq: 1, opcode: Opcode.OpenFileRO, data: pathData('/fs/microsd/log/2026-11-20/10_31_07.ulg') });
    replies = [];
    send({ seq: 3, session: 0, opcode: Opcode.BurstReadFile, offset: 0 });
    budget = 200;
    server.tick();
    expect(replies).toHaveLength(0);
  });

  it('answers CalcFileCRC32 with PX4’s CRC variant, without a session', () => {
    const r = send({ seq: 1, session: 9, opcode: Opcode.CalcFileCRC32, data: pathData('/fs/microsd/log/2026-11-20/10_31_07.ulg') });
    expect(r).toMatchObject({ opcode: Opcode.Ack, size: 4, session: 9 });
    expect(dataAsU32(r!)).toBe(px4Crc32(file));
  });

  it('removes a file, then says FileNotFound', () => {
    expect(send({ seq: 1, opcode: Opcode.RemoveFile, data: pathData('/fs/microsd/log/2026-11-20/11_00_00.ulg') })).toMatchObject({ opcode: Opcode.Ack, size: 0 });
    expect(send({ seq: 3, opcode: Opcode.RemoveFile, data: pathData('/fs/microsd/log/2026-11-20/11_00_00.ulg') })?.data[0]).toBe(NakError.FileNotFound);
  });

  it('imitates a released PX4 (v1.15): no ListDirectoryWithTime, an empty listing as an empty ACK', async () => {
    expect(send({ seq: 1, opcode: Opcode.ListDirectoryWithTime, data: pathData('/fs/microsd/log') })?.opcode).toBe(Opcode.Ack);
    version = 'v1.15';
    expect(send({ seq: 3, opcode: Opcode.ListDirectoryWithTime, data: pathData('/fs/microsd/log') })?.data[0]).toBe(NakError.UnknownCommand);
    await mkdir(join(root, 'fs/microsd/empty'));
    expect(send({ seq: 5, opcode: Opcode.ListDirectory, offset: 0, data: pathData('/fs/microsd/empty') })).toMatchObject({ opcode: Opcode.Ack, size: 0 });
    expect(send({ seq: 7, opcode: Opcode.ListDirectory, offset: 1, data: pathData('/fs/microsd/empty') })?.data[0]).toBe(NakError.EOF);
  });

  it('ignores requests for another system or component', () => {
    server.handle(GCS, { system: 2, component: 1 }, ftpPayload({ seq: 1, opcode: Opcode.ResetSessions }));
    server.handle(GCS, { system: 1, component: 5 }, ftpPayload({ seq: 1, opcode: Opcode.ResetSessions }));
    expect(replies).toHaveLength(0);
  });
});
