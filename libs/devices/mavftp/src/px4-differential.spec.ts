import { cp, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FtpPayload, type FtpPayloadInit, MAX_DATA, Opcode, ftpPayload, nakErrorName, opcodeName, parseDirEntries, pathData, px4Crc32, readNak } from '@filesync/mavftp-codec';
import { connectMavftp } from './connect';
import { NakReply } from './errors';
import type { MavftpClient } from './ftp-client';
import { BURST_SEQ_SPAN } from './ftp-channel';
import { type Px4Sim, type Px4Sitl, px4SitlMissing, startPx4Sim, startPx4Sitl } from './testing';

/**
 * Issue 19 point 3: the same MAVFTP request sequences to simulators/px4 and to a real PX4 (SITL),
 * the replies compared field by field. Differences the simulator keeps on purpose are listed in
 * simulators/px4/README.md ("Checked against real PX4") and here, so a new one fails this test.
 */
const missing = px4SitlMissing();

/** A reply reduced to the fields both must agree on. */
interface Shape {
  readonly opcode: string;
  readonly reqOpcode?: string;
  readonly size?: number;
  readonly error?: string;
  readonly u32?: number;
  readonly entries?: readonly string[];
  readonly dataEquals?: boolean;
}

async function ask(client: MavftpClient, init: Omit<FtpPayloadInit, 'seq'>, expectData?: Uint8Array): Promise<Shape> {
  try {
    const r = await client.exclusive(() => client.channel.request(init, { maxSends: 3 }));
    const shape: Record<string, unknown> = { opcode: opcodeName(r.opcode), reqOpcode: opcodeName(r.reqOpcode), size: r.size };
    if (init.opcode === Opcode.ListDirectory || init.opcode === Opcode.ListDirectoryWithTime) {
      shape['entries'] = parseDirEntries(r.data)
        .map((e) => (e.kind === 'skip' ? 'S' : e.kind === 'dir' ? `D${e.name}` : `F${e.name}\t${e.size}${init.opcode === Opcode.ListDirectoryWithTime ? `\t${e.mtimeSec !== undefined ? 'mtime' : '-'}` : ''}`))
        .sort();
    } else if (r.size === 4) shape['u32'] = Buffer.from(r.data).readUInt32LE(0);
    if (expectData) shape['dataEquals'] = Buffer.from(r.data).equals(Buffer.from(expectData));
    return shape as unknown as Shape;
  } catch (err) {
    if (err instanceof NakReply) return { opcode: 'Nak', error: nakErrorName(err.nak.error) };
    throw err;
  }
}

/** One BurstReadFile from `offset`: the structure of what streams back. */
async function burst(client: MavftpClient, offset: number, file: Uint8Array): Promise<Record<string, unknown>> {
  const channel = client.channel;
  return client.exclusive(
    () =>
      new Promise((resolve) => {
        const frames: FtpPayload[] = [];
        let end: Record<string, unknown> | undefined;
        const seq = channel.allocSeq(BURST_SEQ_SPAN);
        const finish = (): void => {
          clearTimeout(timer);
          channel.setBurst(undefined);
          let contiguous = true;
          let at = offset;
          for (const f of frames) {
            contiguous &&= f.offset === at && Buffer.from(f.data).equals(Buffer.from(file.subarray(at, at + f.data.length)));
            at += f.data.length;
          }
          resolve({
            frames: frames.length,
            allAck: frames.every((f) => f.opcode === Opcode.Ack && f.reqOpcode === Opcode.BurstReadFile && f.session === 0),
            fullFrames: frames.slice(0, -1).every((f) => f.data.length === MAX_DATA),
            seqsFollow: frames.every((f, i) => f.seq === ((seq + 1 + i) & 0xffff)),
            contiguousAndRight: contiguous,
            bytes: at - offset,
            completeFlags: frames.filter((f) => f.burstComplete).length,
            end,
          });
        };
        let timer = setTimeout(finish, 2000);
        channel.setBurst({
          firstSeq: (seq + 1) & 0xffff,
          span: BURST_SEQ_SPAN - 1,
          onFrame: (p) => {
            clearTimeout(timer);
            timer = setTimeout(finish, 300);
            if (p.opcode === Opcode.Nak) {
              end = { nak: nakErrorName(readNak(p).error), reqOpcode: opcodeName(p.reqOpcode), atFileSize: p.offset === file.length };
              finish();
            } else frames.push(p);
          },
        });
        channel.sendRaw(ftpPayload({ seq, session: 0, opcode: Opcode.BurstReadFile, size: MAX_DATA, offset }));
      }),
  );
}

interface Step {
  readonly name: string;
  readonly run: (client: MavftpClient) => Promise<unknown>;
}

describe.skipIf(missing !== undefined)(`simulators/px4 against a real PX4 (PX4 SITL): same requests, same replies${missing ? ` — skipped: ${missing}` : ''}`, () => {
  let px4: Px4Sitl;
  let sim: Px4Sim;
  let simRoot: string;
  let days: string[];
  let day: string;
  let name: string;
  let file: Uint8Array;

  beforeAll(async () => {
    px4 = await startPx4Sitl();
    // The simulator serves a copy of PX4's log tree at the same paths (/log/<day>/<name>), every day
    // directory and every closed log: all but the newest file, the log PX4 is writing. The kit's
    // seed logs are dated 2026-12-06, and PX4 writes today's log under today's date, so on any
    // other day there are two day directories.
    days = (await readdir(px4.logDir)).sort();
    const files = (await Promise.all(days.map(async (d) => (await readdir(join(px4.logDir, d))).sort().map((n) => join(d, n))))).flat();
    day = days[0]!;
    name = (await readdir(join(px4.logDir, day))).sort()[0]!;
    file = new Uint8Array(await readFile(join(px4.logDir, day, name)));
    simRoot = await mkdtemp(join(tmpdir(), 'fs-px4-diff-'));
    for (const d of days) await mkdir(join(simRoot, 'log', d), { recursive: true });
    for (const f of files.slice(0, -1)) await cp(join(px4.logDir, f), join(simRoot, 'log', f));
    sim = await startPx4Sim(simRoot, ['--no-pty']);
  }, 120_000);
  afterAll(async () => {
    await sim?.stop();
    await px4?.stop();
    if (simRoot) await rm(simRoot, { recursive: true, force: true });
  });

  const steps = (): Step[] => {
    const path = `/log/${day}/${name}`;
    const P = (p: string): Uint8Array => pathData(p);
    return [
      { name: 'reset sessions', run: (c) => ask(c, { opcode: Opcode.ResetSessions }) },
      { name: 'list /log', run: (c) => ask(c, { opcode: Opcode.ListDirectory, offset: 0, data: P('/log') }) },
      // PX4 also lists the log it is writing (the simulator's copy has the closed ones): entries and size are compared in the next test.
      { name: 'list the day', run: async (c) => ({ ...(await ask(c, { opcode: Opcode.ListDirectory, offset: 0, data: P(`/log/${day}`) })), entries: 'compared below', size: 'compared below' }) },
      { name: 'list with time', run: (c) => ask(c, { opcode: Opcode.ListDirectoryWithTime, offset: 0, data: P('/log') }) },
      { name: 'list past the end', run: (c) => ask(c, { opcode: Opcode.ListDirectory, offset: 50, data: P('/log') }) },
      { name: 'list a missing directory', run: (c) => ask(c, { opcode: Opcode.ListDirectory, offset: 0, data: P('/log/nope') }) },
      { name: 'open a missing file', run: (c) => ask(c, { opcode: Opcode.OpenFileRO, data: P(`/log/${day}/nope.ulg`) }) },
      { name: 'open', run: (c) => ask(c, { opcode: Opcode.OpenFileRO, data: P(path) }) },
      { name: 'open again (second session)', run: (c) => ask(c, { opcode: Opcode.OpenFileRO, data: P(path) }) },
      { name: 'read 239 at 0', run: (c) => ask(c, { session: 0, opcode: Opcode.ReadFile, size: MAX_DATA, offset: 0 }, file.subarray(0, MAX_DATA)) },
      { name: 'read 100 at 1000', run: (c) => ask(c, { session: 0, opcode: Opcode.ReadFile, size: 100, offset: 1000 }, file.subarray(1000, 1100)) },
      { name: 'read 0 bytes', run: (c) => ask(c, { session: 0, opcode: Opcode.ReadFile, size: 0, offset: 0 }) },
      { name: 'read the tail (short)', run: (c) => ask(c, { session: 0, opcode: Opcode.ReadFile, size: MAX_DATA, offset: file.length - 10 }, file.subarray(file.length - 10)) },
      { name: 'read at the end', run: (c) => ask(c, { session: 0, opcode: Opcode.ReadFile, size: MAX_DATA, offset: file.length }) },
      { name: 'read with session 1', run: (c) => ask(c, { session: 1, opcode: Opcode.ReadFile, size: MAX_DATA, offset: 0 }) },
      { name: 'burst to the end', run: (c) => burst(c, file.length - 5000, file) },
      { name: 'burst from 0 (one complete chunk)', run: async (c) => { const b = await burst(c, 0, file); // Frame counts follow the TX budget; the frame marked complete can be lost on a loaded machine (UDP).
        return { ...b, frames: 'differs by TX budget', bytes: (b['bytes'] as number) > 30_000, completeFlags: (b['completeFlags'] as number) <= 1 }; } },
      { name: 'CRC32', run: (c) => ask(c, { opcode: Opcode.CalcFileCRC32, data: P(path) }) },
      { name: 'CRC32 of a missing file', run: async (c) => ({ opcode: (await ask(c, { opcode: Opcode.CalcFileCRC32, data: P(`/log/${day}/nope.ulg`) })).opcode }) },
      { name: 'terminate', run: (c) => ask(c, { opcode: Opcode.TerminateSession, session: 0 }) },
      { name: 'terminate again', run: (c) => ask(c, { opcode: Opcode.TerminateSession, session: 0 }) },
      { name: 'read after terminate', run: (c) => ask(c, { session: 0, opcode: Opcode.ReadFile, size: MAX_DATA, offset: 0 }) },
      { name: 'open after terminate', run: (c) => ask(c, { opcode: Opcode.OpenFileRO, data: P(path) }) },
      { name: 'reset with a session open', run: (c) => ask(c, { opcode: Opcode.ResetSessions }) },
      { name: 'read after reset', run: (c) => ask(c, { session: 0, opcode: Opcode.ReadFile, size: MAX_DATA, offset: 0 }) },
      { name: 'open a path with ..', run: (c) => ask(c, { opcode: Opcode.OpenFileRO, data: P(`/log/${day}/../${day}/${name}`) }) },
      { name: 'list a path with ..', run: (c) => ask(c, { opcode: Opcode.ListDirectory, offset: 0, data: P('/log/..') }) },
      { name: 'unknown opcode', run: (c) => ask(c, { opcode: 99 }) },
      { name: 'reset at the end', run: (c) => ask(c, { opcode: Opcode.ResetSessions }) },
    ];
  };

  /**
   * Where the simulator answers otherwise on purpose (simulators/px4/README.md says why):
   * step name → [simulator, PX4] as this test sees them.
   */
  const KNOWN: Record<string, readonly [unknown, unknown]> = {
    // The kit is PX4 main of 2026-03-02; ListDirectoryWithTime came to main in 2026-06 (the simulator models later main).
    'list with time': [{ opcode: 'Ack', reqOpcode: 'ListDirectoryWithTime', size: 'DAYS_SIZE', entries: 'DAYS_ENTRIES' }, { opcode: 'Nak', error: 'UnknownCommand' }],
    // The kit's PX4 resolves `..`; later main answers FileProtected (MAVFTP.md), as the simulator does.
    'open a path with ..': [{ opcode: 'Nak', error: 'FileProtected' }, { opcode: 'Ack', reqOpcode: 'OpenFileRO', size: 4, u32: 'FILE_SIZE' }],
    'list a path with ..': [{ opcode: 'Nak', error: 'FileProtected' }, { opcode: 'Ack', reqOpcode: 'ListDirectory', size: 'ANY', entries: 'PX4 ROOT' }],
  };

  it('answers every request like PX4 does (opcode, size, error, listing entries, burst structure)', async () => {
    const run = async (link: string): Promise<Record<string, unknown>> => {
      const client = await connectMavftp({ link, heartbeatTimeoutMs: 10_000, requestTimeoutMs: 300 });
      try {
        const out: Record<string, unknown> = {};
        for (const step of steps()) out[step.name] = await step.run(client);
        return out;
      } finally {
        await client.link.close();
      }
    };
    const real = await run(px4.onboard);
    const simulated = await run(`udpout:${sim.udp}`);
    const differences: Record<string, readonly [unknown, unknown]> = {};
    for (const step of Object.keys(real)) {
      if (JSON.stringify(simulated[step]) !== JSON.stringify(real[step])) differences[step] = [simulated[step], real[step]];
    }
    // Placeholders in KNOWN stand for what depends on the run (the day, the file size, PX4's root listing).
    // The day directories, then the two entries PX4 skips ('.' and '..'), each name NUL-terminated.
    const dayEntries = [...days.map((d) => `D${d}`), 'S', 'S'];
    const known = JSON.parse(
      JSON.stringify(KNOWN)
        .replace('"FILE_SIZE"', String(file.length))
        .replace('"DAYS_SIZE"', String(dayEntries.reduce((n, e) => n + e.length + 1, 0)))
        .replace('"DAYS_ENTRIES"', JSON.stringify(dayEntries)),
    ) as Record<string, [unknown, Record<string, unknown>]>;
    const rootListing = differences['list a path with ..']?.[1] as Record<string, unknown> | undefined;
    if (rootListing) known['list a path with ..']![1] = { ...known['list a path with ..']![1], size: rootListing['size'], entries: rootListing['entries'] };
    expect(differences).toEqual(known);
    // The CRC both report is PX4's variant of the file's bytes.
    expect((real['CRC32'] as Shape).u32).toBe(px4Crc32(file));
  }, 120_000);

  it('lists the closed logs with the same names and sizes', async () => {
    const entries = async (link: string): Promise<string[]> => {
      const client = await connectMavftp({ link, heartbeatTimeoutMs: 10_000 });
      try {
        const out: string[] = [];
        for (const d of days) out.push(...(await client.listDirectory(`/log/${d}`)).map((e) => `${e.kind} ${d}/${e.name} ${e.size}`));
        return out;
      } finally {
        await client.link.close();
      }
    };
    const real = await entries(px4.onboard);
    const simulated = await entries(`udpout:${sim.udp}`);
    // PX4 also lists the log it is writing (the newest: last in day and name order), which the simulator's copy leaves out.
    expect(real.slice().sort().slice(0, -1)).toEqual(simulated.slice().sort());
  }, 60_000);
});
