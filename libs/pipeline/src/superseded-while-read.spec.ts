import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Source } from '@filesync/core';
import { patternBytes, sha256Hex } from '@filesync/core/testing';
import { ReadFailureTracker, createVolumeSource } from '@filesync/device-disk';
import { Downloader } from './downloader';
import { Finder } from './finder';
import { type World, makeWorld } from './testing/fixture';

// Issue 19 point 1: a file that settled, then grew while it was read (a log whose writer paused
// longer than settleSec). The finder's listing used to supersede the version being read (`vanished`,
// and once `failed`: "download progress … in state vanished") although nothing was ever lost; the
// file is one row that settles again at its new size.

const SIZE = 1024 * 1024;
const CHUNK = 64 * 1024;

describe('a file that grows while it is read', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  it('the read prefix is dropped, the row settles again at the new size (never vanished or failed) and the grown file is staged whole', async () => {
    const mount = world.sourceDir('card');
    const head = patternBytes(SIZE, 1);
    const tail = patternBytes(CHUNK, 2);
    await world.writeFiles('card', { 'log/01.ulg': head });
    const file = join(mount, 'log/01.ulg');
    let grown = false;
    const source = createVolumeSource({
      sourceId: 'card:1234-ABCD',
      drive: { device: '/dev/test', mountPoint: mount, mountId: '1', fsType: 'ext4', uuid: '1234-ABCD', label: undefined },
      readChunkBytes: CHUNK,
      tracker: new ReadFailureTracker(3),
      isPresent: async () => true,
      // A quarter in, the writer appends and the finder lists meanwhile (its poll runs beside the download).
      readGate: async ({ offset }) => {
        if (grown || offset < SIZE / 4) return;
        grown = true;
        await appendFile(file, tail);
        await finder.scan();
      },
    });
    const finder = new Finder(source, [{ targets: ['nas'], filter: { include: ['**/*'], exclude: [] } }], world.catalog);
    await finder.scan();
    const downloader = new Downloader(source, world.staging, world.catalog, { sliceBytes: SIZE * 4, checkpointBytes: CHUNK });
    const outcomes: string[] = [];
    for (let i = 0; i < 10 && world.catalog.counts().files.staged === 0; i++) outcomes.push((await downloader.step()).kind);
    expect(grown).toBe(true);
    expect(outcomes).toEqual(['changed', 'staged']);
    const rows = world.catalog.listFiles({});
    expect(rows.map((f) => [f.size, f.state])).toEqual([[SIZE + CHUNK, 'staged']]);
    expect(rows[0]?.sha256).toBe(sha256Hex(Buffer.concat([head, tail])));
    const states = world.catalog.history(rows[0]!.fileId).map((e) => e.toState);
    expect(states).not.toContain('failed');
    expect(states).not.toContain('vanished');
    // Its prefix was read and dropped: a download given up, not marked unread.
    const back = world.catalog.history(rows[0]!.fileId).find((e) => e.fromState === 'downloading' && e.toState === 'found');
    expect(back).toBeDefined();
    expect(back?.detail?.['unread']).toBeUndefined();
  });

  it('a listing that comes while the download starts, the file grown meanwhile: one row, settling again, never vanished', async () => {
    // The PX4 open-log race: the downloader took the row (downloading, nothing read) and its start check
    // waited for the link while the finder's listing saw the next size. The listing used to record a new
    // version and sweep the one being downloaded to `vanished`, then the start check revived it as an orphan.
    await world.writeFiles('cam', { 'log/03.ulg': patternBytes(CHUNK, 5) });
    const file = join(world.sourceDir('cam'), 'log/03.ulg');
    const plain = world.source('cam');
    let listedDuringStart = false;
    const source: Source = {
      id: plain.id,
      features: plain.features,
      list: (options) => plain.list(options),
      read: (path, offset, options) => plain.read(path, offset, options),
      close: () => plain.close(),
      stat: async (path) => {
        if (!listedDuringStart) {
          listedDuringStart = true;
          await appendFile(file, patternBytes(CHUNK, 6));
          expect(await finder.scan()).toMatchObject({ recorded: 0, vanished: 0 });
        }
        return plain.stat!(path);
      },
    };
    const finder = new Finder(source, [{ targets: ['nas'], filter: { include: ['**/*'], exclude: [] } }], world.catalog);
    await finder.scan();
    const downloader = new Downloader(source, world.staging, world.catalog);
    const outcomes: string[] = [];
    for (let i = 0; i < 5 && world.catalog.counts().files.staged === 0; i++) outcomes.push((await downloader.step()).kind);
    expect(listedDuringStart).toBe(true);
    expect(outcomes).toEqual(['changed', 'staged']);
    const rows = world.catalog.listFiles({});
    expect(rows.map((f) => [f.size, f.state])).toEqual([[2 * CHUNK, 'staged']]);
    expect(world.catalog.history(rows[0]!.fileId).map((e) => e.toState)).not.toContain('vanished');
  });

  it('a version that settled only for want of a listing, but grew: about to start, it settles again at its new size (one row, never vanished)', async () => {
    const settleMs = 100;
    await world.writeFiles('cam', { 'log/02.ulg': patternBytes(CHUNK, 3) });
    const file = join(world.sourceDir('cam'), 'log/02.ulg');
    const source = world.source('cam');
    const finder = new Finder(source, [{ targets: ['nas'], filter: { include: ['**/*'], exclude: [] } }], world.catalog);
    await finder.scan();
    // The writer goes on, and no listing comes before the version is settleMs old (a busy link).
    await appendFile(file, patternBytes(CHUNK, 4));
    await new Promise((r) => setTimeout(r, settleMs + 20));
    const downloader = new Downloader(source, world.staging, world.catalog, { settleMs });
    expect((await downloader.step()).kind).toBe('changed');
    const [row] = world.catalog.listFiles({});
    expect(world.catalog.listFiles({}).map((f) => [f.size, f.state])).toEqual([[2 * CHUNK, 'found']]);
    expect((await downloader.step()).kind, 'settling again at its new size').toBe('idle');
    await new Promise((r) => setTimeout(r, settleMs + 20));
    expect((await downloader.step()).kind).toBe('staged');
    expect(world.catalog.getFile(row!.fileId)?.state).toBe('staged');
    expect(world.catalog.history(row!.fileId).map((e) => e.toState)).not.toContain('vanished');
    // Nothing was read before it showed its new size: the history says so (chaos does not count it a restart).
    const back = world.catalog.history(row!.fileId).find((e) => e.fromState === 'downloading' && e.toState === 'found');
    expect(back?.detail).toEqual({ unread: true });
  });
});
