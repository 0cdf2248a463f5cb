import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Source } from '@filesync/core';
import { patternBytes, sha256Hex } from '@filesync/core/testing';
import { Downloader } from './downloader';
import { Finder } from './finder';
import { type World, makeWorld } from './testing/fixture';

// Issue 19 point 1: a route may follow a file while it grows (a log during a long flight): its new
// bytes are fetched as they appear and it is delivered whole once closed, never read twice.

const CHUNK = 32 * 1024;
const SETTLE_MS = 300;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a followed file (followGrowing)', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  /** The world's source for `id`, counting the bytes its reads hand out. */
  function countingSource(id: string): { source: Source; bytesRead: () => number } {
    const plain = world.source(id);
    let bytes = 0;
    const source: Source = {
      id: plain.id,
      features: plain.features,
      list: (options) => plain.list(options),
      stat: (path) => plain.stat!(path),
      close: () => plain.close(),
      async *read(path, offset, options) {
        for await (const chunk of plain.read(path, offset, options)) {
          bytes += chunk.length;
          yield chunk;
        }
      },
    };
    return { source, bytesRead: () => bytes };
  }

  it('is taken while it grows, fetched as it grows (each byte read once), staged whole once quiet for settleSec', async () => {
    const parts = Array.from({ length: 6 }, (_, i) => patternBytes(CHUNK, 10 + i));
    await world.writeFiles('cam', { 'log/01.ulg': parts[0]! });
    const file = join(world.sourceDir('cam'), 'log/01.ulg');
    const { source, bytesRead } = countingSource('cam');
    const finder = new Finder(source, [{ targets: ['nas'], filter: { include: ['**/*'], exclude: [] } }], world.catalog);
    await finder.scan();
    const downloader = new Downloader(source, world.staging, world.catalog, { settleMs: SETTLE_MS, follows: () => true, sliceBytes: CHUNK * 16 });
    // Found a moment ago, so it would be settling; followed, it is taken at once.
    expect((await downloader.step()).kind).toBe('progress');
    const [row] = world.catalog.listFiles({});
    expect(row).toMatchObject({ state: 'downloading', downloadOffset: CHUNK });
    /** When the writer last wrote: the file is quiet from then on, however long the agent's steps take after. */
    let quietSince = 0;
    for (const part of parts.slice(1)) {
      // The writer pauses about as long as the agent waits before it looks again, then appends.
      await sleep(SETTLE_MS);
      await appendFile(file, part);
      quietSince = Date.now();
      // The writer goes on while the agent lists and reads: the same row grows, nothing is dropped.
      await finder.scan();
      let outcome = await downloader.step();
      for (let i = 0; i < 3 && outcome.kind === 'progress' && world.catalog.getFile(row!.fileId)!.downloadOffset < world.catalog.getFile(row!.fileId)!.size; i++) outcome = await downloader.step();
      expect(world.catalog.listFiles({}).map((f) => [f.fileId, f.state])).toEqual([[row!.fileId, 'downloading']]);
      const now = world.catalog.getFile(row!.fileId)!;
      expect(now.downloadOffset, 'fetched as it appeared').toBe(now.size);
    }
    const whole = Buffer.concat(parts);
    // Closed now: staged once its size has not changed for settleSec, never before.
    const deadline = Date.now() + 10_000;
    let stagedAt = 0;
    for (let i = 0; i < 200 && Date.now() < deadline && world.catalog.counts().files.staged === 0; i++) {
      await downloader.step();
      if (world.catalog.counts().files.staged > 0) stagedAt = Date.now();
      else await sleep(25);
    }
    expect(stagedAt - quietSince).toBeGreaterThanOrEqual(SETTLE_MS - 50);
    const staged = world.catalog.getFile(row!.fileId);
    expect(staged).toMatchObject({ state: 'staged', size: whole.length, sha256: sha256Hex(whole) });
    expect(bytesRead(), 'every byte read once: the prefix was never dropped').toBe(whole.length);
    expect(world.catalog.totals().targets['nas']?.['pending']?.bytes, 'target rows follow the size').toBe(whole.length);
    const history = world.catalog.history(row!.fileId);
    expect(history.filter((e) => e.kind === 'file.grew')).toHaveLength(parts.length - 1);
    expect(history.map((e) => e.toState)).not.toContain('vanished');
    expect(history.map((e) => e.toState)).not.toContain('failed');
  });
});
