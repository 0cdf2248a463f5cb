import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRouting } from './routing';
import { type World, makeWorld } from './testing/fixture';
import { Uploader } from './uploader';

describe('uploader', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  it('looks on the target before a vanished file is called lost', async () => {
    const config = world.config([{ source: 'cam', targets: ['nas'] }]);
    const routing = buildRouting(config.routes);
    const here = world.catalog.recordFound({ sourceId: 'cam', path: 'd/here.bin', size: 5, mtimeMs: 1 }, ['nas']);
    const gone = world.catalog.recordFound({ sourceId: 'cam', path: 'd/gone.bin', size: 5, mtimeMs: 1 }, ['nas']);
    const other = world.catalog.recordFound({ sourceId: 'cam', path: 'd/other.bin', size: 5, mtimeMs: 1 }, ['nas']);
    for (const { fileId } of [here, gone, other]) world.catalog.transitionFile(fileId, 'vanished', { reason: 'gone from the source' });
    const put = async (path: string, text: string) => {
      const file = join(world.targetDir('nas'), path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, text);
    };
    await put('cam/d/here.bin', '12345'); // the listed size: a copy made before
    await put('cam/d/other.bin', '123'); // another size: not this file
    const uploader = new Uploader(world.target('nas'), world.staging, world.catalog, {
      pathOf: (f) => routing.targetPath(f, 'nas'),
      maxAttempts: 3,
      progressBytes: 1 << 20,
      progressMs: 1000,
    });
    expect(await uploader.reconcileVanished()).toBe(1);
    expect(world.catalog.getFile(here.fileId)?.state).toBe('delivered');
    expect(world.catalog.getTarget(here.fileId, 'nas')?.reason).toMatch(/found on the target/);
    expect(world.catalog.getFile(gone.fileId)?.state).toBe('vanished');
    expect(world.catalog.getFile(other.fileId)?.state).toBe('vanished');
    expect(await uploader.reconcileVanished()).toBe(0);
  });
});

describe('uploader after a crash', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  it('delivers a staged file every target already has (killed between uploaded and delivered)', async () => {
    const config = world.config([{ source: 'cam', targets: ['nas'] }]);
    const routing = buildRouting(config.routes);
    const { fileId } = world.catalog.recordFound({ sourceId: 'cam', path: 'x.bin', size: 4, mtimeMs: 1 }, ['nas']);
    world.catalog.transitionFile(fileId, 'downloading');
    world.catalog.transitionFile(fileId, 'staged', { sha256: 'b'.repeat(64), downloadOffset: 4 });
    world.catalog.transitionTarget(fileId, 'nas', 'uploading');
    world.catalog.transitionTarget(fileId, 'nas', 'uploaded', { offset: 4, receipt: 'cam/x.bin' });
    const delivered: string[] = [];
    const uploader = new Uploader(
      world.target('nas'),
      world.staging,
      world.catalog,
      { pathOf: (f) => routing.targetPath(f, 'nas'), maxAttempts: 3, progressBytes: 1 << 20, progressMs: 1000 },
      (f) => void delivered.push(f.fileId),
    );
    expect((await uploader.step()).kind).toBe('idle'); // nothing pending: the normal path would never see it
    expect(await uploader.deliverFinished()).toBe(1);
    expect(world.catalog.getFile(fileId)?.state).toBe('delivered');
    expect(delivered).toEqual([fileId]);
  });
});
