import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { patternBytes, sha256Hex, mountSmallDisk, type SmallDisk } from '@filesync/core/testing';
import { createLocalSource, createLocalStaging } from '@filesync/device-local';
import { type Catalog, openCatalog } from '@filesync/store';
import { type DownloadOutcome, Downloader } from './downloader';
import { type World, makeWorld } from './testing/fixture';

const KIB = 1024;
const MIB = 1024 * KIB;

/** Lists a source into the catalog as the finder would, each file owed to target `nas`. */
async function record(catalog: Catalog, world: World, sourceId: string): Promise<void> {
  for await (const e of world.source(sourceId).list()) {
    catalog.recordFound({ sourceId, path: e.path, size: e.size, mtimeMs: e.mtimeMs }, ['nas']);
  }
}

/** What the uploader and the delivered hook record once a target has a file: staging is freed. */
async function deliver(catalog: Catalog, staging: ReturnType<typeof createLocalStaging>, fileId: string): Promise<void> {
  catalog.transitionTarget(fileId, 'nas', 'uploaded', { receipt: 'test' });
  catalog.transitionFile(fileId, 'delivered');
  await staging.remove(fileId);
}

describe('space admission', () => {
  let world: World;
  let disk: SmallDisk | undefined;
  let catalogDir: string | undefined;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(async () => {
    disk?.remove();
    disk = undefined;
    if (catalogDir) await rm(catalogDir, { recursive: true, force: true });
    catalogDir = undefined;
    await world.cleanup();
  });

  it.skipIf(process.getuid?.() !== 0)('staging smaller than one file (a real 1 MiB tmpfs): that file fails with the sizes, every other file is staged', async () => {
    disk = mountSmallDisk(1 * MIB);
    expect(disk).toBeDefined();
    catalogDir = await mkdtemp(join(tmpdir(), 'fs-admission-'));
    const { catalog } = openCatalog(join(catalogDir, 'catalog.db'));
    try {
      const staging = createLocalStaging(join(disk!.dir, 'staging'));
      const big = patternBytes(2 * MIB, 1);
      await world.writeFiles('cam', { 'big.bin': big, 'a.bin': patternBytes(100 * KIB, 2), 'b.bin': patternBytes(100 * KIB, 3) });
      await world.writeFiles('nav', { 'c.bin': patternBytes(100 * KIB, 4) });
      // The big file is the oldest: in order it comes first and would hold up the rest.
      await utimes(join(world.sourceDir('cam'), 'big.bin'), new Date(2020, 0, 1), new Date(2020, 0, 1));
      await record(catalog, world, 'cam');
      await record(catalog, world, 'nav');
      const options = { smallFileBytes: 0, reserveBytes: 64 * KIB };
      const cam = new Downloader(createLocalSource({ id: 'cam', dir: world.sourceDir('cam') }), staging, catalog, options);
      const nav = new Downloader(createLocalSource({ id: 'nav', dir: world.sourceDir('nav') }), staging, catalog, options);
      const outcomes: DownloadOutcome[] = [];
      for (let i = 0; i < 20 && catalog.counts().files.staged + catalog.counts().files.failed < 4; i++) {
        outcomes.push(await cam.step(), await nav.step());
      }
      expect(catalog.listFiles({ state: 'staged' }).map((f) => f.path).sort()).toEqual(['a.bin', 'b.bin', 'c.bin']);
      const [failed] = catalog.listFiles({ state: 'failed' });
      expect(failed?.path).toBe('big.bin');
      expect(failed?.reason).toBe(
        `big.bin is ${2 * MIB} bytes; the staging disk holds ${MIB} bytes in all, ${64 * KIB} of them kept free (staging.reserveBytes): it can never be staged there`,
      );
      // It was never started: nothing was written for it.
      expect(await staging.size(failed!.fileId)).toBe(0);
      expect(outcomes.filter((o) => o.kind === 'failed')).toHaveLength(1);
    } finally {
      catalog.close();
    }
  });

  it.skipIf(process.getuid?.() !== 0)(
    'catalog and staging on a nearly full disk (a real 2 MiB tmpfs), parallel downloads of two sources: the reserve stays free, so uploads are recorded and everything moves',
    async () => {
      disk = mountSmallDisk(2 * MIB);
      expect(disk).toBeDefined();
      const { catalog } = openCatalog(join(disk!.dir, 'catalog.db'));
      try {
        const staging = createLocalStaging(join(disk!.dir, 'staging'));
        const reserveBytes = 512 * KIB;
        const files: Record<string, Uint8Array> = {};
        for (let i = 0; i < 3; i++) files[`f${i}.bin`] = patternBytes(450 * KIB + i, 10 + i);
        await world.writeFiles('cam', files);
        await world.writeFiles('nav', files);
        await record(catalog, world, 'cam');
        await record(catalog, world, 'nav');
        const options = { reserveBytes, checkpointBytes: 64 * KIB };
        const downloaders = ['cam', 'nav'].map((id) => new Downloader(createLocalSource({ id, dir: world.sourceDir(id) }), staging, catalog, options));
        let minFree = Infinity;
        for (let round = 0; round < 60 && catalog.counts().files.delivered < 6; round++) {
          // Two downloads side by side per source, as a device with parallel reads runs them.
          const outcomes = await Promise.all(downloaders.flatMap((d) => [d.step(), d.step()]));
          for (const o of outcomes) expect(o.kind, JSON.stringify(o)).not.toBe('retry');
          minFree = Math.min(minFree, await staging.freeBytes());
          // The uploader's records (on the same disk) go through; then staging is freed.
          const [staged] = catalog.listFiles({ state: 'staged' });
          if (staged) await deliver(catalog, staging, staged.fileId);
        }
        expect(catalog.counts().files.delivered).toBe(6);
        // The reserve was kept for the catalog: parallel downloads never ate into it (the catalog's own
        // growth may take a little of it, which is what it is for).
        expect(minFree).toBeGreaterThan(reserveBytes / 2);
        for (const f of catalog.listFiles({ state: 'delivered' })) expect(f.sha256).toBe(sha256Hex(files[f.path]!));
      } finally {
        catalog.close();
      }
    },
  );
});
