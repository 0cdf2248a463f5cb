import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Target, TransientError } from '@filesync/core';
import { patternBytes, sha256Hex } from '@filesync/core/testing';
import { Downloader } from './downloader';
import { Pipeline } from './pipeline';
import { type World, makeWorld, waitFor } from './testing/fixture';

const KIB = 1024;

describe('Downloader', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(async () => {
    await world.cleanup();
  });

  it('stages an empty file (found by the e2e test: it was taken for vanished, as staging had no file to seal)', async () => {
    await world.writeFiles('cam', { 'empty.txt': new Uint8Array(0) });
    for await (const e of world.source('cam').list()) world.catalog.recordFound({ sourceId: 'cam', path: e.path, size: e.size, mtimeMs: e.mtimeMs }, ['nas']);
    const downloader = new Downloader(world.source('cam'), world.staging, world.catalog);
    expect(await downloader.step()).toMatchObject({ kind: 'staged', sha256: sha256Hex(new Uint8Array(0)) });
    expect(world.catalog.counts().files.staged).toBe(1);
  });
});

describe('Downloader, a read that ends early', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(async () => {
    await world.cleanup();
  });

  it('reads on from its durable offset when the file is still listed as it was (a PX4 rebooting under the read), instead of again from zero', async () => {
    const bytes = patternBytes(300 * KIB, 3);
    await world.writeFiles('cam', { 'log.ulg': bytes });
    for await (const e of world.source('cam').list()) world.catalog.recordFound({ sourceId: 'cam', path: e.path, size: e.size, mtimeMs: e.mtimeMs }, ['nas']);
    const real = world.source('cam');
    let cuts = 1;
    // The first read stops after 192 KiB with no error, as a link that signalled the end too early.
    const source = Object.create(real, {
      read: {
        value: async function* (path: string, offset: number) {
          let sent = 0;
          for await (const chunk of real.read(path, offset)) {
            if (cuts > 0 && offset + sent + chunk.length > 192 * KIB) {
              cuts--;
              yield chunk.subarray(0, 192 * KIB - offset - sent);
              return;
            }
            sent += chunk.length;
            yield chunk;
          }
        },
      },
    });
    const downloader = new Downloader(source, world.staging, world.catalog, { checkpointBytes: 64 * KIB });
    // A link fault: the source's health backs off, the file keeps its offset.
    expect(await downloader.step()).toMatchObject({ kind: 'retry', error: { code: 'disconnected' } });
    const [file] = world.catalog.listFiles({ state: 'downloading' });
    expect(file?.downloadOffset).toBe(192 * KIB);
    expect(await downloader.step()).toMatchObject({ kind: 'staged', sha256: sha256Hex(bytes) });
    const history = world.catalog.history(file!.fileId).map((e) => `${e.fromState}→${e.toState}`);
    expect(history).not.toContain('downloading→found');
  });
});

describe('Downloader staging quota (maxBytes)', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(async () => {
    await world.cleanup();
  });

  /** Lists the source into the catalog as the finder would, each file owed to target `nas`. */
  async function record(files: Record<string, Uint8Array>): Promise<Map<string, string>> {
    await world.writeFiles('cam', files);
    const ids = new Map<string, string>();
    for await (const e of world.source('cam').list()) {
      if (!(e.path in files)) continue;
      ids.set(e.path, world.catalog.recordFound({ sourceId: 'cam', path: e.path, size: e.size, mtimeMs: e.mtimeMs }, ['nas']).fileId);
    }
    return ids;
  }

  /** What the uploader and the delivered hook do once a target has the file: staging is freed. */
  async function deliver(fileId: string): Promise<void> {
    world.catalog.transitionTarget(fileId, 'nas', 'uploaded', { receipt: 'test' });
    world.catalog.transitionFile(fileId, 'delivered');
    await world.staging.remove(fileId);
  }

  it('starts no new file while staged and downloading files hold the quota, and goes on once one is delivered', async () => {
    const ids = await record({ 'a.bin': patternBytes(100 * KIB, 1), 'b.bin': patternBytes(100 * KIB, 2), 'c.bin': patternBytes(100 * KIB, 3) });
    const downloader = new Downloader(world.source('cam'), world.staging, world.catalog, { maxBytes: 150 * KIB });
    expect((await downloader.step()).kind).toBe('staged'); // nothing held
    expect((await downloader.step()).kind).toBe('staged'); // 100 KiB held, under the quota
    const waiting = await downloader.step();
    expect(waiting).toEqual({ kind: 'waiting-for-space', freeBytes: 0, heldBytes: 200 * KIB });
    expect(world.catalog.counts().files.found).toBe(1);
    const first = world.catalog.listFiles({ state: 'staged' })[0]!;
    await deliver(first.fileId);
    expect((await downloader.step()).kind).toBe('staged');
    expect((await downloader.step()).kind).toBe('idle');
    expect(world.catalog.counts().files.staged).toBe(2);
    expect(ids.size).toBe(3);
  });

  it('starts a file larger than the quota when nothing else is held (no deadlock)', async () => {
    await record({ 'huge.bin': patternBytes(300 * KIB, 4) });
    const downloader = new Downloader(world.source('cam'), world.staging, world.catalog, { maxBytes: 64 * KIB });
    expect((await downloader.step()).kind).toBe('staged');
  });

  it('keeps downloading a file it started while the quota blocks new ones, so its own share cannot block it', async () => {
    // Sliced: the big file stays `downloading` across steps, holding more than the quota.
    const downloader = new Downloader(world.source('cam'), world.staging, world.catalog, { maxBytes: 256 * KIB, sliceBytes: 128 * KIB, smallFileBytes: 64 * KIB });
    await record({ 'big.bin': patternBytes(512 * KIB, 5) });
    expect(await downloader.step()).toMatchObject({ kind: 'progress', offset: 128 * KIB });
    // A small file appears; it would go first (small before large) but may not start now.
    await record({ 'small.bin': patternBytes(8 * KIB, 6) });
    const kinds: string[] = [];
    for (let i = 0; i < 10 && kinds.at(-1) !== 'staged'; i++) kinds.push((await downloader.step()).kind);
    expect(kinds).toEqual(['progress', 'progress', 'staged']);
    expect(world.catalog.listFiles({ state: 'staged' }).map((f) => f.path)).toEqual(['big.bin']);
    expect((await downloader.step()).kind).toBe('waiting-for-space');
  });

  it('without a quota starts every file at once', async () => {
    await record({ 'a.bin': patternBytes(100 * KIB, 7), 'b.bin': patternBytes(100 * KIB, 8) });
    const downloader = new Downloader(world.source('cam'), world.staging, world.catalog, {});
    expect((await downloader.step()).kind).toBe('staged');
    expect((await downloader.step()).kind).toBe('staged');
  });

  it('a whole pipeline with a quota smaller than the data waits while the target is away, then delivers every file', async () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 12; i++) files[`f${i}.bin`] = patternBytes(40 * KIB + i, 10 + i);
    await world.writeFiles('cam', files);
    const config = world.config([{ source: 'cam', targets: ['nas'] }]);
    const nas = world.target('nas');
    let down = true;
    const guard = (): void => {
      if (down) throw new TransientError('disconnected', 'nas is down');
    };
    const gated: Target = {
      ...nas,
      id: nas.id,
      features: nas.features,
      stat: async (p) => (guard(), nas.stat(p)),
      partialSize: async (p) => (guard(), nas.partialSize(p)),
      write: async (p, o, d, opts) => (guard(), nas.write(p, o, d, opts)),
      commit: async (p, e) => (guard(), nas.commit(p, e)),
      close: () => nas.close(),
    };
    const pipeline = new Pipeline({
      config: { ...config, staging: { ...config.staging, maxBytes: 64 * KIB } },
      catalog: world.catalog,
      staging: world.staging,
      sources: [world.source('cam')],
      targets: [gated],
      healthBackoff: { initialMs: 20, maxMs: 100, factor: 2, jitter: 0 },
    });
    pipeline.start();
    try {
      await waitFor(() => world.catalog.counts().files.staged === 2, 20_000, 'two files staged');
      // Two 40 KiB files reach the 64 KiB quota; the rest wait unstarted while nothing is delivered.
      await new Promise((r) => setTimeout(r, 500));
      expect(world.catalog.counts().files).toMatchObject({ staged: 2, downloading: 0, found: 10 });
      down = false;
      await waitFor(() => world.catalog.counts().files.delivered === 12, 30_000, 'all files delivered');
    } finally {
      await pipeline.stop();
    }
    const tree = await world.readTree(world.targetDir('nas'));
    for (const [path, bytes] of Object.entries(files)) expect(sha256Hex(tree.get(`cam/${path}`)!)).toBe(sha256Hex(bytes));
  });
});
