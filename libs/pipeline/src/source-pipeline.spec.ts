import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, type Source } from '@filesync/core';
import { patternBytes } from '@filesync/core/testing';
import { buildRouting } from './routing';
import { SourcePipeline } from './source-pipeline';
import { type World, makeWorld, waitFor } from './testing/fixture';

/** Wraps a source to declare `parallelism` and count how many reads run at once. */
function counting(inner: Source, parallelism: number): Source & { maxConcurrent: number } {
  let active = 0;
  const wrapper = {
    ...inner,
    id: inner.id,
    features: { ...inner.features, parallelism },
    maxConcurrent: 0,
    list: () => inner.list(),
    async *read(path: string, offset: number) {
      active++;
      wrapper.maxConcurrent = Math.max(wrapper.maxConcurrent, active);
      try {
        for await (const chunk of inner.read(path, offset)) {
          await new Promise((r) => setTimeout(r, 20)); // a slow device
          yield chunk;
        }
      } finally {
        active--;
      }
    },
    close: () => inner.close(),
  };
  return wrapper;
}

describe('source pipeline', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  for (const parallelism of [1, 3]) {
    it(`reads at most ${parallelism} file(s) at once, as the device declares, and stages every file once`, async () => {
      const files: Record<string, Uint8Array> = {};
      for (let i = 0; i < 9; i++) files[`f${i}.bin`] = patternBytes(600_000, i + 1);
      await world.writeFiles('cam', files);
      const config = world.config([{ source: 'cam', targets: ['nas'] }]);
      const source = counting(world.source('cam'), parallelism);
      const pipeline = new SourcePipeline(source, world.staging, world.catalog, buildRouting(config.routes), {
        pollIntervalMs: 60_000,
        downloader: { checkpointBytes: 256 * 1024, checkpointMs: 1000 },
      });
      const controller = new AbortController();
      const run = pipeline.run(controller.signal, 500);
      await waitFor(() => world.catalog.counts().files.staged === 9, 30_000, 'all staged');
      controller.abort();
      await run;
      expect(source.maxConcurrent).toBe(parallelism);
      const staged = world.catalog.listFiles({ state: 'staged' });
      expect(new Set(staged.map((f) => f.sha256)).size).toBe(9);
      // No file was downloaded twice: one file.state event into staged each.
      for (const f of staged) expect(world.catalog.history(f.fileId).filter((e) => e.toState === 'staged')).toHaveLength(1);
    });
  }
});

describe('listing cadence', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  /** Lets the loop run what is due now (a timer fired by the manual clock, the step it starts). */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it('after a listing that took 2 s, waits 8 s before the next one, though the poll interval is 1 s; a wake lists at once', async () => {
    await world.writeFiles('cam', { 'a.bin': patternBytes(10, 1) });
    const clock = new ManualClock(1_000_000);
    const inner = world.source('cam');
    let listings = 0;
    const slow: Source = {
      ...inner,
      id: inner.id,
      features: inner.features,
      async *list(options) {
        listings++;
        clock.advance(2_000);
        yield* inner.list(options);
      },
      read: (path, offset, options) => inner.read(path, offset, options),
      close: () => inner.close(),
    };
    const config = world.config([{ source: 'cam', targets: ['nas'] }]);
    const pipeline = new SourcePipeline(slow, world.staging, world.catalog, buildRouting(config.routes), { pollIntervalMs: 1_000, downloader: {}, stages: ['find'] }, clock);
    const controller = new AbortController();
    const run = pipeline.run(controller.signal);
    try {
      await waitFor(() => listings === 1 && world.catalog.counts().files.found === 1, 10_000, 'first listing');
      await settle();
      for (let second = 1; second < 8; second++) {
        clock.advance(1_000);
        await settle();
      }
      expect(listings).toBe(1);
      clock.advance(1_000);
      await waitFor(() => listings === 2, 10_000, 'second listing, 8 s after the first');
      // A mount or a link that came back is listed at once, whatever the gap.
      await settle();
      pipeline.wake(true);
      await waitFor(() => listings === 3, 10_000, 'listing on wake');
    } finally {
      controller.abort();
      await run;
    }
  });
});

describe('source cleaner under move', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  it('keeps a file on the source when a target skipped it (a different file held its name)', async () => {
    const { SourceCleaner } = await import('./source-cleaner');
    await world.writeFiles('cam', { 'a.bin': patternBytes(10, 1), 'b.bin': patternBytes(10, 2) });
    // Recorded as listed: the cleaner removes only the version at the path now.
    const ids: string[] = [];
    for (const path of ['a.bin', 'b.bin']) {
      const { mtimeMs } = await stat(join(world.sourceDir('cam'), path));
      ids.push(world.catalog.recordFound({ sourceId: 'cam', path, size: 10, mtimeMs: Math.trunc(mtimeMs) }, ['nas']).fileId);
    }
    for (const [i, id] of ids.entries()) {
      world.catalog.transitionFile(id, 'downloading');
      world.catalog.transitionFile(id, 'staged', { sha256: 'x'.repeat(64), downloadOffset: 10 });
      world.catalog.transitionTarget(id, 'nas', 'uploading');
      world.catalog.transitionTarget(id, 'nas', i === 0 ? 'uploaded' : 'skipped', { offset: 10 });
      world.catalog.transitionFile(id, 'delivered');
    }
    const cleaner = new SourceCleaner(world.source('cam'), world.catalog, () => true);
    expect(await cleaner.sweep()).toEqual({ removed: 1, errors: 0, kept: 0 });
    expect([...(await world.readTree(world.sourceDir('cam'))).keys()]).toEqual(['b.bin']);
    expect(world.catalog.getFile(ids[1]!)?.state).toBe('delivered');
  });
});

describe('source pipeline split into stages (as the agent runs it, one loop per worker)', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  it('a find-only loop records and tells, never downloads; a download-only loop stages what was found, never lists', async () => {
    await world.writeFiles('cam', { 'a.bin': patternBytes(1000, 1), 'b.bin': patternBytes(2000, 2) });
    const config = world.config([{ source: 'cam', targets: ['nas'] }]);
    const source = world.source('cam');
    let listings = 0;
    const counted: Source = { ...source, id: source.id, features: source.features, list: () => (listings++, source.list()), read: (p, o, r) => source.read(p, o, r), close: () => source.close() };
    let found = 0;
    const options = { pollIntervalMs: 60_000, downloader: { checkpointBytes: 64 * 1024, checkpointMs: 1000 } };
    const finder = new SourcePipeline(counted, world.staging, world.catalog, buildRouting(config.routes), { ...options, stages: ['find'], onFound: () => found++ });
    const controller = new AbortController();
    await finder.run(controller.signal, 3);
    expect(world.catalog.counts().files).toMatchObject({ found: 2, staged: 0 });
    expect(found).toBe(1);
    const before = listings;
    const downloader = new SourcePipeline(counted, world.staging, world.catalog, buildRouting(config.routes), { ...options, stages: ['download'] });
    await downloader.run(controller.signal, 5);
    expect(world.catalog.counts().files).toMatchObject({ found: 0, staged: 2 });
    expect(listings).toBe(before);
  });
});
