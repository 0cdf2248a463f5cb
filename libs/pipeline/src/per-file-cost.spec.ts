import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFsCalls } from '@filesync/core';
import { patternBytes } from '@filesync/core/testing';
import { createLocalStaging } from '@filesync/device-local';
import { Downloader } from './downloader';
import { Finder } from './finder';
import type { CatalogPort } from './ports';
import { buildRouting } from './routing';
import { SourcePipeline } from './source-pipeline';
import { type World, makeWorld } from './testing/fixture';
import { Uploader } from './uploader';

/** The catalog, counting the rows each read hands back, by method (and state for listFiles). */
function countingRows(catalog: CatalogPort): { port: CatalogPort; rows: Map<string, number> } {
  const rows = new Map<string, number>();
  const port = new Proxy(catalog, {
    get(target, key: string) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (Array.isArray(result)) {
          const state = key === 'listFiles' ? `:${String((args[0] as { state?: string } | undefined)?.state)}` : '';
          rows.set(key + state, (rows.get(key + state) ?? 0) + result.length);
        }
        return result;
      };
    },
  });
  return { port, rows };
}

/** The catalog, noting each write (a commit) by method name, in order. */
function countingWrites(catalog: CatalogPort): { port: CatalogPort; writes: string[] } {
  const writes: string[] = [];
  const port = new Proxy(catalog, {
    get(target, key: string) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (/^(transition|complete|record)/.test(key)) writes.push(key);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { port, writes };
}

/**
 * What one file costs the loops must not grow with the backlog (issues #18 and #21: 20,000 small files
 * moved at ~31 per second, every step reading every waiting file from the catalog).
 */
describe('per-file cost with a backlog', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  const BACKLOG = 200;

  /** BACKLOG files of 100 bytes on the source (f0000.bin …), each recorded found in the catalog. */
  async function foundBacklog(): Promise<void> {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < BACKLOG; i++) files[`f${String(i).padStart(4, '0')}.bin`] = patternBytes(100, i);
    await world.writeFiles('cam', files);
    for await (const entry of world.source('cam').list()) world.catalog.recordFound({ sourceId: 'cam', ...entry }, ['nas']);
  }

  it('a scan records new files in a transaction per batch, not one per file', async () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 600; i++) files[`d/f${i}.bin`] = patternBytes(10, i);
    await world.writeFiles('cam', files);
    const calls = { recordFound: 0, recordFoundBatch: 0, getFile: 0 };
    const port = new Proxy(world.catalog as CatalogPort, {
      get(target, key: string) {
        if (key === 'recordFound' || key === 'recordFoundBatch' || key === 'getFile') calls[key]++;
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const finder = new Finder(world.source('cam'), world.config([{ source: 'cam', targets: ['nas'] }]).routes, port);
    expect(await finder.scan()).toMatchObject({ listed: 600, recorded: 600 });
    expect(calls).toEqual({ recordFound: 0, recordFoundBatch: 3, getFile: 0 });
    expect(world.catalog.counts().files.found).toBe(600);
    // Listed again: nothing new, nothing vanished, and each known entry answered by its batch's one read.
    expect(await finder.scan()).toMatchObject({ listed: 600, recorded: 0, vanished: 0 });
    expect(calls).toEqual({ recordFound: 0, recordFoundBatch: 6, getFile: 0 });
  });

  it('a download step reads one page of found files from the catalog, not the whole backlog', async () => {
    await foundBacklog();
    const { port, rows } = countingRows(world.catalog);
    const { port: watched, writes } = countingWrites(port);
    const downloader = new Downloader(world.source('cam'), world.staging, watched);
    const outcome = await downloader.step();
    expect(outcome.kind).toBe('staged');
    expect(rows.get('listFiles:found') ?? 0).toBe(0);
    // The first file in order can start: a page of 4 (a page of 32 made 28 records for nothing).
    expect(rows.get('foundInOrder')).toBe(4);
    // Two commits for a small file: downloading before the read, staged (with its offset) after it.
    expect(writes).toEqual(['transitionFile', 'transitionFile']);
  });

  it('files that may not start ahead of one that may are read past in growing pages', async () => {
    await foundBacklog();
    const { port, rows } = countingRows(world.catalog);
    let asked = 0;
    // As a paused route would: the first 30 files in order may not start.
    const mayStart = async () => {
      asked++;
      return (f: { path: string }) => f.path >= 'f0030';
    };
    const downloader = new Downloader(world.source('cam'), world.staging, port, { mayStart });
    const outcome = await downloader.step();
    expect(outcome).toMatchObject({ kind: 'staged' });
    expect(world.catalog.getFile((outcome as { fileId: string }).fileId)?.path).toBe('f0030.bin');
    // Pages of 4, 16 and 64 (the file is in the third), the start filter asked once.
    expect(rows.get('foundInOrder')).toBe(4 + 16 + 64);
    expect(asked).toBe(1);
  });

  it('a download step asks the staging disk for its free and total bytes in one statfs', async () => {
    await world.writeFiles('cam', { 'a.bin': patternBytes(100, 1), 'b.bin': patternBytes(100, 2) });
    for await (const entry of world.source('cam').list()) world.catalog.recordFound({ sourceId: 'cam', ...entry }, ['nas']);
    let statfs = 0;
    const staging = createLocalStaging(world.staging.dir, {
      fs: {
        ...nodeFsCalls,
        statfs: (path) => {
          statfs++;
          return nodeFsCalls.statfs(path);
        },
      },
    });
    const downloader = new Downloader(world.source('cam'), staging, world.catalog);
    expect(await downloader.step()).toMatchObject({ kind: 'staged' });
    expect(statfs).toBe(1);
    expect(await downloader.step()).toMatchObject({ kind: 'staged' });
    expect(statfs).toBe(2);
  });

  /** BACKLOG staged files of 100 bytes, then one upload step to `nas` as `target` shows it; the step's catalog writes. */
  async function oneUpload(options: { canResume?: boolean; progressBytes?: number } = {}) {
    const bytes = patternBytes(100, 7);
    for (let i = 0; i < BACKLOG; i++) {
      const { fileId } = world.catalog.recordFound({ sourceId: 'cam', path: `f${i}.bin`, size: bytes.length, mtimeMs: 1 }, ['nas']);
      world.catalog.transitionFile(fileId, 'downloading');
      await world.staging.append(fileId, 0, (async function* () { yield bytes; })(), { checkpointBytes: 1 << 20, checkpointMs: 1000, onCheckpoint: () => undefined });
      world.catalog.transitionFile(fileId, 'staged', { sha256: await world.staging.seal(fileId), downloadOffset: bytes.length });
    }
    const { port, rows } = countingRows(world.catalog);
    const routing = buildRouting(world.config([{ source: 'cam', targets: ['nas'] }]).routes);
    const { port: watched, writes } = countingWrites(port);
    const nas = world.target('nas');
    let stats = 0;
    const target = {
      ...nas,
      features: { ...nas.features, canResume: options.canResume ?? nas.features.canResume },
      stat: (path: string) => {
        stats++;
        return nas.stat(path);
      },
    };
    const uploader = new Uploader(target, world.staging, watched, { pathOf: (f) => routing.targetPath(f, 'nas'), maxAttempts: 3, progressBytes: options.progressBytes ?? 1 << 20, progressMs: 60_000 });
    const outcome = await uploader.step();
    expect(outcome).toMatchObject({ kind: 'uploaded' });
    const fileId = (outcome as { fileId: string }).fileId;
    expect(world.catalog.getFile(fileId)?.state).toBe('delivered');
    const states = world.catalog.history(fileId).filter((e) => e.kind === 'target.state').map((e) => `${e.toState}@${String(e.detail?.['offset'] ?? '')}`);
    return { rows, writes, states, stats };
  }

  it('an upload step asks the catalog for the next owed file alone, and delivers in the commit of its last target', async () => {
    const { rows, writes, states, stats } = await oneUpload();
    expect(rows.get('listFiles:staged') ?? 0).toBe(0);
    // A first attempt does not look for a commit of an earlier one at the final name.
    expect(stats).toBe(0);
    // One catalog write for a file sent within one progress interval to a target that resumes: uploaded
    // and delivered together. No attempt record before the bytes (the in-transit copy is the record),
    // no progress record at their end (the commit records the whole size).
    expect(writes).toEqual(['completeTarget']);
    expect(states).toEqual(['uploaded@100']);
  });

  it('an upload longer than a progress interval is uploading from its first progress record', async () => {
    const { writes, states } = await oneUpload({ progressBytes: 10 });
    expect(writes).toEqual(['transitionTarget', 'completeTarget']);
    expect(states).toEqual(['uploading@100', 'uploaded@']);
  });

  it('a target that cannot resume has the attempt recorded before a byte is sent', async () => {
    const { writes, states } = await oneUpload({ canResume: false });
    expect(writes).toEqual(['transitionTarget', 'completeTarget']);
    expect(states).toEqual(['uploading@', 'uploaded@100']);
  });

  it('under copy, the cleaner never lists the delivered files (a list that only grows)', async () => {
    for (let i = 0; i < 20; i++) {
      const { fileId } = world.catalog.recordFound({ sourceId: 'cam', path: `f${i}.bin`, size: 0, mtimeMs: 1 }, ['nas']);
      world.catalog.transitionFile(fileId, 'downloading');
      world.catalog.transitionFile(fileId, 'staged', { sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
      world.catalog.transitionTarget(fileId, 'nas', 'uploading');
      world.catalog.transitionTarget(fileId, 'nas', 'uploaded');
      world.catalog.transitionFile(fileId, 'delivered');
    }
    const cleanerRows = async (policy: 'copy' | 'move'): Promise<number> => {
      const { port, rows } = countingRows(world.catalog);
      const routing = buildRouting(world.config([{ source: 'cam', targets: ['nas'], policy }]).routes);
      const cleaner = new SourcePipeline(world.source('cam'), world.staging, port, routing, { pollIntervalMs: 60_000, downloader: {}, stages: ['clean'] });
      await cleaner.run(new AbortController().signal, 1);
      return rows.get('listFiles:delivered') ?? 0;
    };
    expect(await cleanerRows('copy')).toBe(0);
    // Under move it does look (and removes what it may): the check above is not vacuous.
    expect(await cleanerRows('move')).toBe(20);
  });
});
