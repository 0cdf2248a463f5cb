import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { caught, collect, patternBytes, sha256Hex } from '@filesync/core/testing';
import { connectMavftp } from './connect';
import { fetchVerified } from './fetch-verified';
import type { MavftpClient } from './ftp-client';
import { createMavftpSource } from './mavftp-source';
import { type Px4Sim, makeSdRoot, startPx4Sim } from './testing/px4-sim';
import { until } from './testing/until';

const LOG = '/fs/microsd/log/2026-11-20';
const BIG = `${LOG}/10_31_07.ulg`;
const SMALL = `${LOG}/11_02_44.ulg`;
const big = patternBytes(400_000, 11);
const small = patternBytes(30_000, 12);
const CLEAN = { lossUp: 0, lossDown: 0, dup: 0, reorder: 0, armed: false, secondGcs: 'off', burstStopAfterFrames: 0, wrongCrc: { [BIG]: null, [SMALL]: null } };

describe('end to end against the simulator: faults', () => {
  let sim: Px4Sim;
  let root: string;
  let client: MavftpClient;
  beforeAll(async () => {
    root = await makeSdRoot({ [`fs${BIG.slice(3)}`]: big, [`fs${SMALL.slice(3)}`]: small });
    // PX4 on NuttX UDP: a 1500-byte TX budget per 10 ms cycle (about 110 kB/s of file data).
    sim = await startPx4Sim(root, ['--no-pty']);
  });
  afterAll(async () => {
    await sim?.stop();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await sim.post('/faults', CLEAN);
    await sim.post('/reset-stats');
    client = await connectMavftp({ link: `udpout:${sim.udp}`, requestTimeoutMs: 200 });
  });
  afterEach(async () => {
    await client.link.close();
  });

  it('resumes after a reboot mid-file without starting the file again (bytes requested counted)', async () => {
    // Fault: the autopilot power-cycles (session and reply cache gone, silent for 1 s).
    // Wait until the link has seen a boot time well above zero, so the restart is visible in SYSTEM_TIME.
    await until(() => (client.link.vehicle?.timeBootMs ?? 0) > 1500);
    const parts: Uint8Array[] = [];
    let got = 0;
    let rebootAt = -1;
    for await (const chunk of client.readFile(BIG, 0)) {
      parts.push(chunk);
      got += chunk.length;
      if (rebootAt < 0 && got >= 100_000) {
        rebootAt = got;
        await sim.post('/reboot', { downMs: 1000 });
      }
    }
    expect(sha256Hex(Buffer.concat(parts))).toBe(sha256Hex(big));
    const state = await sim.state();
    expect(state.reboots).toBe(1);
    // Seen on the link too: SYSTEM_TIME's boot time went backwards (its next message may come after the
    // last chunk on a loaded machine, so wait for it, bounded).
    await until(() => (client.link.vehicle?.reboots ?? 0) >= 1);
    expect(client.link.vehicle?.reboots).toBe(1);
    expect(client.stats.reopens).toBeGreaterThanOrEqual(1);
    expect(state.links['udp']!.server.opens).toBe(2);
    // Starting over would cost at least size + rebootAt; a resume costs about size (+ what was in flight).
    expect(state.bytesServed[BIG]!).toBeLessThan(big.length + rebootAt);
  });

  it('recovers from a session a crashed client left open (ResetSessions, no human action)', async () => {
    await sim.post('/stale-session');
    expect((await sim.state()).links['udp']!.sessionOpen).toBe(true);
    expect(sha256Hex(await collect(client.readFile(SMALL, 0)))).toBe(sha256Hex(small));
    expect(client.stats.busyResets).toBeGreaterThanOrEqual(1);
    expect((await sim.state()).links['udp']!.server.resets).toBeGreaterThanOrEqual(1);
  });

  it('re-fetches a file whose CRC does not match, then fails it permanently after N attempts', async () => {
    // Fault: CalcFileCRC32 answers wrong for SMALL, once, then always.
    await sim.post('/faults', { wrongCrc: { [SMALL]: 1 } });
    let attempts = 0;
    const once = await fetchVerified(client, SMALL, () => undefined, { attempts: 3, onAttempt: () => void attempts++ });
    expect(once.attempts).toBe(2);
    expect(attempts).toBe(2);
    await sim.post('/faults', { wrongCrc: { [SMALL]: 'always' } });
    await sim.post('/reset-stats');
    const err = await caught(() => fetchVerified(client, SMALL, () => undefined, { attempts: 3 }));
    expect(err).toMatchObject({ kind: 'permanent', code: 'checksum-mismatch' });
    expect((await sim.state()).bytesServed[SMALL]).toBeGreaterThanOrEqual(3 * small.length);
  });

  it('pauses at a chunk boundary while armed and resumes from the same offset after disarm', async () => {
    const parts: Uint8Array[] = [];
    let got = 0;
    let atArm = -1;
    const pauses: boolean[] = [];
    const done = (async () => {
      for await (const chunk of client.readFile(BIG, 0, { onPause: (p) => void pauses.push(p) })) {
        parts.push(chunk);
        got += chunk.length;
        if (atArm < 0) {
          atArm = got;
          await sim.post('/arm');
          await until(() => client.link.vehicle?.armed === true);
        }
      }
    })();
    await until(() => pauses.length === 1);
    const servedWhilePaused = (await sim.state()).bytesServed[BIG]!;
    await new Promise((r) => setTimeout(r, 700));
    expect((await sim.state()).bytesServed[BIG]).toBe(servedWhilePaused);
    expect((await sim.state()).links['udp']!.sessionOpen).toBe(false);
    // Within one chunk of the arming instant.
    expect(got - atArm).toBeLessThanOrEqual(192 * 1024);
    const gotAtPause = got;
    await sim.post('/disarm');
    await done;
    expect(pauses).toEqual([true, false]);
    expect(sha256Hex(Buffer.concat(parts))).toBe(sha256Hex(big));
    // Resumed at the same offset: nothing re-served from before the pause.
    expect((await sim.state()).bytesServed[BIG]!).toBeLessThan(big.length + gotAtPause / 2);
  });

  it('lets a listing through between chunks of a large download', async () => {
    let finished = false;
    let firstChunk = false;
    const download = (async () => {
      for await (const _chunk of client.readFile(BIG, 0)) firstChunk = true;
      finished = true;
    })();
    await until(() => firstChunk);
    const entries = await client.listDirectory(LOG);
    expect(entries.map((e) => e.name).sort()).toEqual(['10_31_07.ulg', '11_02_44.ulg']);
    expect(finished).toBe(false);
    await download;
  });

  it('gets its file while a second ground station holds the session, and while one interleaves requests', async () => {
    // Fault: QGC beside us on the same link (the seed's "FTP: Busy" situations).
    await sim.post('/faults', { secondGcs: 'hold' });
    await until(() => false, 300).catch(() => undefined);
    expect(sha256Hex(await collect(client.readFile(SMALL, 0)))).toBe(sha256Hex(small));
    await sim.post('/faults', { secondGcs: 'interleave' });
    expect(sha256Hex(await collect(client.readFile(SMALL, 0)))).toBe(sha256Hex(small));
    const entries = await client.listDirectory(LOG);
    expect(entries).toHaveLength(2);
  });

  it('waits out another ground station by policy before resetting its session', async () => {
    await sim.post('/faults', { secondGcs: 'hold' });
    await until(() => false, 300).catch(() => undefined);
    const patient = await connectMavftp({ link: `udpout:${sim.udp}`, requestTimeoutMs: 200, busyWaitMs: 1000 });
    try {
      expect(sha256Hex(await collect(patient.readFile(SMALL, 0)))).toBe(sha256Hex(small));
      // It asked again while waiting, then took the session (the other station never let go).
      expect(patient.stats.busyWaits).toBeGreaterThanOrEqual(1);
      expect(patient.stats.busyResets).toBeGreaterThanOrEqual(1);
    } finally {
      await patient.link.close();
    }
  });

  it('restarts bursts that stop early without burst_complete', async () => {
    // Fault: every burst dies after 20 frames.
    await sim.post('/faults', { burstStopAfterFrames: 20 });
    // Bursts only (plainWindow 0): on this fast link the client would otherwise measure that plain reads beat the broken burst.
    await client.link.close();
    client = await connectMavftp({ link: `udpout:${sim.udp}`, requestTimeoutMs: 200, plainWindow: 0 });
    expect(sha256Hex(await collect(client.readFile(SMALL, 0)))).toBe(sha256Hex(small));
    expect((await sim.state()).links['udp']!.server.requests['BurstReadFile']).toBeGreaterThanOrEqual(Math.floor(small.length / (20 * 239)));
  });

  it('on a fast link switches to pipelined plain reads when they beat the burst (here bursts stop after 20 frames, each costing a stall)', async () => {
    await sim.post('/faults', { burstStopAfterFrames: 20 });
    expect(sha256Hex(await collect(client.readFile(BIG, 0)))).toBe(sha256Hex(big));
    expect(client.stats.plainChunks).toBeGreaterThan(client.stats.burstChunks);
    const requests = (await sim.state()).links['udp']!.server.requests;
    expect(requests['ReadFile'] ?? 0).toBeGreaterThan(big.length / 239 / 2);
  });
});

describe('end to end: slow-link settings and the udpin role', () => {
  it('completes a log over a 57600-baud-equivalent radio with 2 % loss (the 2 MiB run is the mavftp-link benchmark)', async () => {
    const root = await makeSdRoot({ 'fs/microsd/log/a.ulg': small });
    // Fault: a telemetry radio's UART — 5760 B/s on the wire, PX4's burst paced by its TX buffer.
    const sim = await startPx4Sim(root, ['--no-pty', '--baud', '57600', '--loss', '0.02'], { removeRoot: true });
    const client = await connectMavftp({ link: `udpout:${sim.udp}` });
    try {
      expect(sha256Hex(await collect(client.readFile('/fs/microsd/log/a.ulg', 0)))).toBe(sha256Hex(small));
    } finally {
      await client.link.close();
      await sim.stop();
    }
  });

  it('reads with ReadFile alone in radio-frame-sized pieces, several in flight', async () => {
    const root = await makeSdRoot({ 'fs/microsd/log/a.ulg': small });
    const sim = await startPx4Sim(root, ['--no-pty', '--loss', '0.05'], { removeRoot: true });
    const client = await connectMavftp({ link: `udpout:${sim.udp}`, burst: false, readBytes: 80, readWindow: 3, requestTimeoutMs: 200 });
    try {
      expect(sha256Hex(await collect(client.readFile('/fs/microsd/log/a.ulg', 0)))).toBe(sha256Hex(small));
      const requests = (await sim.state()).links['udp']!.server.requests;
      expect(requests['BurstReadFile']).toBeUndefined();
      expect(requests['ReadFile']).toBeGreaterThanOrEqual(Math.ceil(small.length / 80));
    } finally {
      await client.link.close();
      await sim.stop();
    }
  });

  it('listens (udpin) for an autopilot that sends to it, as PX4 does to an onboard computer', async () => {
    const { createSocket } = await import('node:dgram');
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const root = await makeSdRoot({ 'fs/microsd/log/a.ulg': small });
    const client = connectMavftp({ link: `udpin:127.0.0.1:${port}`, heartbeatTimeoutMs: 15_000 });
    const sim = await startPx4Sim(root, ['--no-pty', '--udp-remote', `127.0.0.1:${port}`], { removeRoot: true });
    const c = await client;
    try {
      expect(sha256Hex(await collect(c.readFile('/fs/microsd/log/a.ulg', 0)))).toBe(sha256Hex(small));
    } finally {
      await c.link.close();
      await sim.stop();
    }
  });
});

describe('end to end: logs being written', () => {
  it('lists every log, a growing one and the newest while armed too (the pipeline\'s settle rule decides when to take them)', async () => {
    const root = await makeSdRoot({ 'fs/microsd/log/2026-11-20/10_00_00.ulg': small, 'fs/microsd/log/2026-11-20/12_00_00.ulg': small });
    const sim = await startPx4Sim(root, ['--no-pty'], { removeRoot: true });
    const source = createMavftpSource({ id: 'px4', link: `udpout:${sim.udp}` });
    try {
      const list = async (): Promise<string[]> => {
        const out = [];
        for await (const e of source.list()) out.push(`${e.path} ${e.size}`);
        return out.sort();
      };
      const both = [`2026-11-20/10_00_00.ulg ${small.length}`, `2026-11-20/12_00_00.ulg ${small.length}`];
      expect(await list()).toEqual(both);
      await sim.post('/arm');
      const client = await source.client();
      await until(() => client.link.vehicle?.armed === true);
      expect(await list()).toEqual(both);
      await sim.post('/disarm');
      await until(() => client.link.vehicle?.armed === false);
      // Fault: the logger appends to the 12:00 log; it is listed at its size of the moment.
      await sim.post('/faults', { grow: { '/fs/microsd/log/2026-11-20/12_00_00.ulg': 50_000 } });
      await new Promise((r) => setTimeout(r, 400));
      const growing = await list();
      expect(growing[0]).toBe(both[0]);
      expect(Number(growing[1]?.split(' ')[1])).toBeGreaterThan(small.length);
      await sim.post('/faults', { grow: { '/fs/microsd/log/2026-11-20/12_00_00.ulg': null } });
      // A growing file reads up to its size at open (PX4 NAKs EOF past it), prefix intact.
      const bytes = await collect(source.read('2026-11-20/12_00_00.ulg', 0));
      expect(bytes.length).toBeGreaterThan(small.length);
      expect(Buffer.from(bytes.subarray(0, small.length)).equals(Buffer.from(small))).toBe(true);
    } finally {
      await source.close();
      await sim.stop();
    }
  });
});
