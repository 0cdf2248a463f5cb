import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CommitReceipt, type Target, isFilesyncError } from '@filesync/core';
import { caught, chunksOf, collect, patternBytes, sha256Hex } from '@filesync/core/testing';
import { createFtpSource } from './ftp-source';
import { type FtpTargetOptions, createFtpTarget } from './ftp-target';
import type { FtpLog } from './options';
import { type SimulatorProcess, startSimulatorProcess } from './test-support/simulator-process';

const CHUNK = 64 * 1024;
let sim: SimulatorProcess;
let n = 0;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  sim = await startSimulatorProcess();
});
afterAll(async () => sim?.stop());
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  await sim.clearFaults();
  await sim.resetStats();
});

async function fresh(extra: Partial<FtpTargetOptions> = {}): Promise<{ target: Target; dir: string; base: string }> {
  const dir = `f${++n}`;
  const base = join(sim.root, dir);
  await mkdir(base, { recursive: true });
  const target = createFtpTarget({ id: 'ftp', url: `${sim.url}/${dir}`, user: sim.user, password: sim.password, ...extra });
  open.push(target);
  return { target, dir, base };
}

/** What the Uploader does: ask the server what it has, send the rest, commit; retry transient faults. */
async function deliver(target: Target, path: string, bytes: Uint8Array, errors: unknown[] = []): Promise<CommitReceipt> {
  const expected = { size: bytes.length, sha256: sha256Hex(bytes) };
  for (let attempt = 0; attempt < 12; attempt++) {
    try {
      const have = await target.partialSize(path);
      await target.write(path, have, chunksOf(bytes.subarray(have), CHUNK));
      return await target.commit(path, expected);
    } catch (err) {
      errors.push(err);
      if (!isFilesyncError(err) || err.kind !== 'transient') throw err;
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
    }
  }
  throw new Error(`not delivered after 12 attempts: ${errors.map(String).join('; ')}`);
}

async function partFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile() && e.name.endsWith('.part')) out.push(e.name);
  return out;
}

async function expectDelivered(base: string, path: string, bytes: Uint8Array): Promise<void> {
  expect(sha256Hex(new Uint8Array(await readFile(join(base, path))))).toBe(sha256Hex(bytes));
  expect(await partFilesUnder(base)).toEqual([]);
}

describe('ftp target against simulator faults', () => {
  it('drop of the data connection mid-upload: resumes, sending at most one chunk more than missing', async () => {
    const { target, base } = await fresh();
    const bytes = patternBytes(1_000_000, 1);
    await sim.setFaults({ dropDataAfterBytes: 300_000 });
    const err = await caught(() => target.write('a/drop.bin', 0, chunksOf(bytes, CHUNK)));
    expect(err).toMatchObject({ kind: 'transient' });
    const have = await target.partialSize('a/drop.bin');
    expect(have).toBe(300_000);
    await sim.resetStats();
    await target.write('a/drop.bin', have, chunksOf(bytes.subarray(have), CHUNK));
    const resent = (await sim.stats()).bytesReceived;
    expect(resent).toBeLessThanOrEqual(bytes.length - have + CHUNK);
    expect((await target.commit('a/drop.bin', { size: bytes.length, sha256: sha256Hex(bytes) })).outcome).toBe('committed');
    await expectDelivered(base, 'a/drop.bin', bytes);
  });

  it('stalled data connection: times out, then resumes from the server size', async () => {
    const { target, base } = await fresh({ timeoutMs: 800 });
    const bytes = patternBytes(700_000, 2);
    await sim.setFaults({ stallAfterBytes: 200_000, stallMs: 2500 });
    const errors: unknown[] = [];
    await deliver(target, 'stall.bin', bytes, errors);
    expect(errors[0]).toMatchObject({ kind: 'transient', code: 'timeout' });
    await expectDelivered(base, 'stall.bin', bytes);
  });

  it('552 after N bytes: transient no-space, then resumes with at most one chunk resent', async () => {
    const { target, base } = await fresh();
    const bytes = patternBytes(900_000, 3);
    await sim.setFaults({ noSpaceAfterBytes: 400_000 });
    const err = await caught(() => target.write('full.bin', 0, chunksOf(bytes, CHUNK)));
    expect(err).toMatchObject({ kind: 'transient', code: 'no-space' });
    const have = await target.partialSize('full.bin');
    expect(have).toBe(400_000);
    await sim.resetStats();
    await deliver(target, 'full.bin', bytes);
    expect((await sim.stats()).bytesReceived).toBeLessThanOrEqual(bytes.length - have + CHUNK);
    await expectDelivered(base, 'full.bin', bytes);
  });

  it('quota reached (disk full) pauses with no-space until space is freed', async () => {
    const { target, base } = await fresh();
    const bytes = patternBytes(800_000, 4);
    await sim.setFaults({ quotaBytes: 500_000 });
    const err = await caught(() => target.write('quota.bin', 0, chunksOf(bytes, CHUNK)));
    expect(err).toMatchObject({ kind: 'transient', code: 'no-space' });
    const have = await target.partialSize('quota.bin');
    expect(await caught(() => target.write('quota.bin', have, chunksOf(bytes.subarray(have), CHUNK)))).toMatchObject({ code: 'no-space' });
    await sim.clearFaults();
    await deliver(target, 'quota.bin', bytes);
    await expectDelivered(base, 'quota.bin', bytes);
  });

  it('550 on RNFR is retried as transient (never a permanent "No such file" loop) and the file lands', async () => {
    const { target, base } = await fresh();
    const bytes = patternBytes(50_000, 5);
    await target.write('rn.bin', 0, chunksOf(bytes, CHUNK));
    await sim.setFaults({ rnfr550Times: 1 });
    const expected = { size: bytes.length, sha256: sha256Hex(bytes) };
    expect(await caught(() => target.commit('rn.bin', expected))).toMatchObject({ kind: 'transient', code: 'busy' });
    expect((await target.commit('rn.bin', expected)).outcome).toBe('committed');
    await expectDelivered(base, 'rn.bin', bytes);
  });

  it('a rename whose reply was lost is recognised on retry as already present', async () => {
    const { target, base } = await fresh();
    const bytes = patternBytes(60_000, 6);
    await target.write('lost.bin', 0, chunksOf(bytes, CHUNK));
    await sim.setFaults({ loseRenameReplyTimes: 1 });
    const expected = { size: bytes.length, sha256: sha256Hex(bytes) };
    expect(await caught(() => target.commit('lost.bin', expected))).toMatchObject({ kind: 'transient' });
    expect(await target.commit('lost.bin', expected)).toEqual({ location: 'lost.bin', outcome: 'already-present' });
    expect((await sim.stats()).renames).toBe(1);
    await expectDelivered(base, 'lost.bin', bytes);
  });

  it('.part deleted while the client was away: starts again from 0, or commit says conflict', async () => {
    const { target, base, dir } = await fresh();
    const bytes = patternBytes(400_000, 7);
    await target.write('gone.bin', 0, chunksOf(bytes.subarray(0, 150_000), CHUNK));
    await sim.setFaults({ deletePartsOnDisconnect: true });
    await target.close();
    for (let i = 0; i < 50 && (await partFilesUnder(base)).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await partFilesUnder(base)).toEqual([]);
    await sim.clearFaults();
    const again = createFtpTarget({ id: 'ftp', url: `${sim.url}/${dir}`, user: sim.user, password: sim.password });
    open.push(again);
    expect(await again.partialSize('gone.bin')).toBe(0);
    expect(await caught(() => again.commit('gone.bin', { size: bytes.length, sha256: sha256Hex(bytes) }))).toMatchObject({
      kind: 'transient',
      code: 'conflict',
    });
    await deliver(again, 'gone.bin', bytes);
    await expectDelivered(base, 'gone.bin', bytes);
  });

  it('no SIZE/REST: declares no resume, says so, and re-sends from zero', async () => {
    const lines: string[] = [];
    const log: FtpLog = (level, message) => lines.push(`${level} ${message}`);
    await sim.setFaults({ noSizeRest: true });
    const { target, base } = await fresh({ log });
    const bytes = patternBytes(300_000, 8);
    expect(await target.partialSize('nosize.bin')).toBe(0);
    expect(target.features.canResume).toBe(false);
    expect(lines.some((l) => l.startsWith('warn') && /restart from zero/.test(l))).toBe(true);
    await target.write('nosize.bin', 0, chunksOf(bytes.subarray(0, 100_000), CHUNK));
    expect(await caught(() => target.write('nosize.bin', 100_000, chunksOf(bytes.subarray(100_000), CHUNK)))).toMatchObject({ code: 'conflict' });
    await sim.resetStats();
    await deliver(target, 'nosize.bin', bytes);
    expect((await sim.stats()).bytesReceived).toBe(bytes.length);
    await expectDelivered(base, 'nosize.bin', bytes);
  });

  it('refused connections for a period: transient, then delivered once the server takes calls again', async () => {
    const { target, base } = await fresh();
    const bytes = patternBytes(20_000, 10);
    await sim.setFaults({ refuseForMs: 1200 });
    const errors: unknown[] = [];
    await deliver(target, 'refused.bin', bytes, errors);
    expect(errors[0]).toMatchObject({ kind: 'transient', code: 'disconnected' });
    await expectDelivered(base, 'refused.bin', bytes);
  });

  it('server restart mid-upload on a slow link: resumes and delivers byte-identical', async () => {
    const { target, base } = await fresh();
    const bytes = patternBytes(1_200_000, 11);
    await sim.setFaults({ bandwidthBytesPerSec: 1_000_000 });
    const first = caught(() => target.write('restart.bin', 0, chunksOf(bytes, CHUNK)));
    await new Promise((r) => setTimeout(r, 400));
    await sim.restart(300);
    expect(await first).toMatchObject({ kind: 'transient' });
    await sim.clearFaults();
    const have = await target.partialSize('restart.bin');
    expect(have).toBeGreaterThan(0);
    await sim.resetStats();
    await deliver(target, 'restart.bin', bytes);
    expect((await sim.stats()).bytesReceived).toBeLessThanOrEqual(bytes.length - have + CHUNK);
    await expectDelivered(base, 'restart.bin', bytes);
  });

  it('bandwidth cap: a capped link still delivers every byte once', async () => {
    const { target, base } = await fresh();
    const bytes = patternBytes(400_000, 12);
    await sim.setFaults({ bandwidthBytesPerSec: 2_000_000 });
    await deliver(target, 'slow.bin', bytes);
    expect((await sim.stats()).bytesReceived).toBe(bytes.length);
    await expectDelivered(base, 'slow.bin', bytes);
  });

  it('reuses one control connection across files and keeps it alive with NOOP', async () => {
    const lines: string[] = [];
    const { target, base } = await fresh({ keepAliveMs: 200, maxConnections: 1, log: (_l, m) => lines.push(m) });
    for (let i = 0; i < 5; i++) await deliver(target, `many/${i}.bin`, patternBytes(10_000 + i, 20 + i));
    expect((await sim.stats()).connections).toBe(1);
    await new Promise((r) => setTimeout(r, 700));
    expect(lines.some((l) => l.includes('> NOOP'))).toBe(true);
    await deliver(target, 'many/after-idle.bin', patternBytes(1000, 30));
    expect((await sim.stats()).connections).toBe(1);
    await expectDelivered(base, 'many/4.bin', patternBytes(10_004, 24));
  });

  it('verifies with the server hash: a .part of the right size but wrong bytes is refused', async () => {
    const { target, base } = await fresh();
    const bytes = patternBytes(30_000, 13);
    const other = patternBytes(30_000, 14);
    await target.write('h.bin', 0, chunksOf(other, CHUNK));
    expect(target.features.hashes).toEqual(['sha256']);
    expect(await caught(() => target.commit('h.bin', { size: bytes.length, sha256: sha256Hex(bytes) }))).toMatchObject({
      kind: 'permanent',
      code: 'checksum-mismatch',
    });
    expect(await partFilesUnder(base)).toEqual([]);
    expect(await target.stat('h.bin')).toBeUndefined();
  });
});

describe('ftp target cancellation', () => {
  it('an aborted upload stops with a transient "cancelled", and the next one resumes from what the server kept', async () => {
    const { target, base } = await fresh();
    const bytes = patternBytes(1_000_000, 42);
    await sim.setFaults({ bandwidthBytesPerSec: 1_000_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const err = await caught(() => target.write('abort.bin', 0, chunksOf(bytes, CHUNK), { signal: controller.signal }));
    expect(err).toMatchObject({ kind: 'transient', code: 'cancelled' });
    await sim.clearFaults();
    await deliver(target, 'abort.bin', bytes);
    await expectDelivered(base, 'abort.bin', bytes);
  });
});

describe('ftp target when the server changes behind its back', () => {
  it('makes a directory again when it was removed after the target had made it', async () => {
    const { target, base } = await fresh();
    await deliver(target, 'sub/one.bin', patternBytes(1000, 40));
    await rm(join(base, 'sub'), { recursive: true });
    const bytes = patternBytes(2000, 41);
    await deliver(target, 'sub/two.bin', bytes);
    await expectDelivered(base, 'sub/two.bin', bytes);
  });
});

describe('ftp source against simulator faults', () => {
  it('drop mid-download: the read fails transient and continues from the offset reached', async () => {
    const dir = `src${++n}`;
    const base = join(sim.root, dir);
    await mkdir(base, { recursive: true });
    const bytes = patternBytes(600_000, 15);
    await writeFile(join(base, 'log.ulg'), bytes);
    const source = createFtpSource({ id: 'src', url: `${sim.url}/${dir}`, user: sim.user, password: sim.password });
    open.push(source);
    await sim.setFaults({ dropDataAfterBytes: 250_000 });
    const got: Uint8Array[] = [];
    const err = await caught(async () => {
      for await (const chunk of source.read('log.ulg', 0)) got.push(chunk);
    });
    expect(err).toMatchObject({ kind: 'transient' });
    const have = got.reduce((s, c) => s + c.length, 0);
    expect(have).toBeGreaterThan(0);
    const rest = await collect(source.read('log.ulg', have));
    expect(sha256Hex(Buffer.concat([...got, rest]))).toBe(sha256Hex(bytes));
  });

  it('without REST: declares no resume, and a read from an offset still yields exactly the tail', async () => {
    const dir = `src${++n}`;
    const base = join(sim.root, dir);
    await mkdir(base, { recursive: true });
    const bytes = patternBytes(300_000, 16);
    await writeFile(join(base, 'norest.bin'), bytes);
    await sim.setFaults({ noSizeRest: true });
    const source = createFtpSource({ id: 'src', url: `${sim.url}/${dir}`, user: sim.user, password: sim.password });
    open.push(source);
    const tail = await collect(source.read('norest.bin', 123_457));
    expect(source.features.canResume).toBe(false);
    expect(sha256Hex(tail)).toBe(sha256Hex(bytes.subarray(123_457)));
  });
});
