import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SIDE_BY_SIDE_MAX_BYTES, type Target, TransientError } from '@filesync/core';
import type { CatalogPort } from './ports';
import { buildRouting } from './routing';
import { type World, makeWorld } from './testing/fixture';
import { Uploader } from './uploader';

describe('uploader', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  const uploaderFor = (routing: ReturnType<typeof buildRouting>, delivered: string[] = []) =>
    new Uploader(
      world.target('nas'),
      world.staging,
      world.catalog,
      { pathOf: (f) => routing.targetPath(f, 'nas'), maxAttempts: 3, progressBytes: 1 << 20, progressMs: 1000 },
      (f) => void delivered.push(f.fileId),
    );
  const put = async (path: string, text: string) => {
    const file = join(world.targetDir('nas'), path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  };
  const sha256Of = (text: string) => createHash('sha256').update(text).digest('hex');
  /** A file of the camera staged with `text` as its bytes; its id. */
  const staged = async (path: string, text: string): Promise<string> => {
    const bytes = new TextEncoder().encode(text);
    const { fileId } = world.catalog.recordFound({ sourceId: 'cam', path, size: bytes.length, mtimeMs: 2 }, ['nas']);
    world.catalog.transitionFile(fileId, 'downloading');
    await world.staging.append(fileId, 0, (async function* () { yield bytes; })(), { checkpointBytes: 1 << 20, checkpointMs: 1000, onCheckpoint: () => undefined });
    world.catalog.transitionFile(fileId, 'staged', { sha256: await world.staging.seal(fileId), downloadOffset: bytes.length });
    return fileId;
  };

  it('a vanished file counts as delivered only when the target reads back our content, never by size', async () => {
    const routing = buildRouting(world.config([{ source: 'cam', targets: ['nas'] }]).routes);
    const record = (path: string, sha256: string | null) => {
      const { fileId } = world.catalog.recordFound({ sourceId: 'cam', path, size: 5, mtimeMs: 1 }, ['nas']);
      world.catalog.transitionFile(fileId, 'downloading');
      world.catalog.transitionFile(fileId, 'vanished', { reason: 'gone from the source', sha256 });
      return fileId;
    };
    // The hash of the content we know for the file, the same content on the target: proven.
    const same = record('d/same.bin', sha256Of('12345'));
    await put('cam/d/same.bin', '12345');
    // Same size, different bytes (an older file under the same name): not this file.
    const older = record('d/older.bin', sha256Of('12345'));
    await put('cam/d/older.bin', '54321');
    // Nothing of ours to compare with (never staged): the listed size alone proves nothing.
    const unproven = record('d/unproven.bin', null);
    await put('cam/d/unproven.bin', '12345');
    const gone = record('d/gone.bin', sha256Of('12345'));
    const delivered: string[] = [];
    const uploader = uploaderFor(routing, delivered);
    expect(await uploader.reconcileVanished()).toBe(1);
    expect(world.catalog.getFile(same)?.state).toBe('delivered');
    expect(world.catalog.getTarget(same, 'nas')?.reason).toMatch(/found on the target/);
    for (const id of [older, unproven, gone]) expect(world.catalog.getFile(id)?.state).toBe('vanished');
    expect(delivered).toEqual([same]);
    expect(await uploader.reconcileVanished()).toBe(0);
  });

  it('a staged file whose target name holds a different file of the same size goes by the collision policy, not by size', async () => {
    const routing = buildRouting(world.config([{ source: 'cam', targets: ['nas'] }]).routes);
    await staged('d/x.bin', 'new!!');
    await put('cam/d/x.bin', 'old!!'); // an older, different file of the same size
    const outcome = await uploaderFor(routing).step();
    expect(outcome).toMatchObject({ kind: 'uploaded', receipt: expect.not.stringMatching(/^cam\/d\/x\.bin$/) });
    const receipt = (outcome as { receipt: string }).receipt;
    expect(await readFile(join(world.targetDir('nas'), receipt), 'utf8')).toBe('new!!');
    expect(await readFile(join(world.targetDir('nas'), 'cam/d/x.bin'), 'utf8')).toBe('old!!');
  });

  /** One upload step for a staged 'done!' whose copy sits under its final name, as a commit before a crash left it. */
  async function committedBeforeTheCrash(rowState: 'pending' | 'uploading') {
    const routing = buildRouting(world.config([{ source: 'cam', targets: ['nas'] }]).routes);
    const fileId = await staged('d/y.bin', 'done!');
    if (rowState === 'uploading') world.catalog.transitionTarget(fileId, 'nas', 'uploading', { offset: 0 });
    await put('cam/d/y.bin', 'done!');
    const outcome = await uploaderFor(routing).step();
    return { outcome, names: await readdir(join(world.targetDir('nas'), 'cam/d')) };
  }

  it('after a lost commit reply and an attempt on record, takes the copy at the final name without sending a byte', async () => {
    const { outcome, names } = await committedBeforeTheCrash('uploading');
    expect(outcome).toMatchObject({ kind: 'uploaded', receipt: 'cam/d/y.bin', sent: 0 });
    expect(names).toEqual(['y.bin']);
  });

  it('a commit the catalog could not record (disk full) is recorded at the next attempt without sending the file again', async () => {
    const routing = buildRouting(world.config([{ source: 'cam', targets: ['nas'] }]).routes);
    const fileId = await staged('d/z.bin', 'full!');
    let refusals = 1;
    const catalog: CatalogPort = Object.create(world.catalog, {
      completeTarget: {
        value: (...args: Parameters<CatalogPort['completeTarget']>) => {
          if (refusals-- > 0) throw new TransientError('no-space', 'store catalog.db: disk full');
          return world.catalog.completeTarget(...args);
        },
      },
    });
    const uploader = new Uploader(world.target('nas'), world.staging, catalog, { pathOf: (f) => routing.targetPath(f, 'nas'), maxAttempts: 3, progressBytes: 1 << 20, progressMs: 1000 });
    expect(await uploader.step()).toMatchObject({ kind: 'retry', error: { code: 'no-space' } });
    expect(world.catalog.getTarget(fileId, 'nas')?.state).toBe('pending');
    expect(await uploader.step()).toMatchObject({ kind: 'uploaded', receipt: 'cam/d/z.bin', sent: 0 });
    expect(world.catalog.getFile(fileId)?.state).toBe('delivered');
    expect(await readdir(join(world.targetDir('nas'), 'cam/d'))).toEqual(['z.bin']);
  });

  it('a staged file whose staged copy is gone (a catalog restored from an older backup) goes back to its downloader, not to failed', async () => {
    const routing = buildRouting(world.config([{ source: 'cam', targets: ['nas'] }]).routes);
    const fileId = await staged('d/gone.bin', 'lost!');
    await world.staging.remove(fileId);
    expect(await uploaderFor(routing).step()).toEqual({ kind: 'restaged', fileId });
    expect(world.catalog.getFile(fileId)).toMatchObject({ state: 'found', downloadOffset: 0, reason: expect.stringMatching(/staged copy is gone/) });
    expect(world.catalog.getTarget(fileId, 'nas')?.state).toBe('pending');
    // Nothing was begun on the target: no empty in-transit copy left behind.
    expect(await readdir(join(world.targetDir('nas'), 'cam/d')).catch(() => [])).toEqual([]);
  });

  it('steps side by side send different files, and beside a file over 1 MiB only files up to 1 MiB', async () => {
    const routing = buildRouting(world.config([{ source: 'cam', targets: ['nas'] }]).routes);
    const big = (c: string): string => c.repeat(SIDE_BY_SIDE_MAX_BYTES + 1);
    const small = [await staged('d/a.bin', 'aa'), await staged('d/b.bin', 'bbb')];
    const large = [await staged('d/l1.bin', big('1')), await staged('d/l2.bin', big('2'))];
    // Every write waits until the test opens the gate: the steps are all in flight at once.
    const inner = world.target('nas');
    const started: string[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const target: Target = Object.create(inner, {
      write: {
        value: async (...args: Parameters<Target['write']>) => {
          started.push(args[0]);
          await gate;
          return inner.write(...args);
        },
      },
    });
    const uploader = new Uploader(target, world.staging, world.catalog, { pathOf: (f) => routing.targetPath(f, 'nas'), maxAttempts: 3, progressBytes: 1 << 30, progressMs: 60_000 });
    const steps = [uploader.step(), uploader.step(), uploader.step()];
    await vi.waitFor(() => expect(started).toHaveLength(3), { timeout: 5000 });
    // The second large file waits for the first: beside it only small files, and none is left.
    expect(await uploader.step()).toEqual({ kind: 'idle' });
    expect(started.sort()).toEqual(['cam/d/a.bin', 'cam/d/b.bin', 'cam/d/l1.bin'].sort());
    open();
    expect((await Promise.all(steps)).map((o) => o.kind)).toEqual(['uploaded', 'uploaded', 'uploaded']);
    expect(await uploader.step()).toMatchObject({ kind: 'uploaded', fileId: large[1] });
    for (const id of [...small, ...large]) expect(world.catalog.getFile(id)?.state).toBe('delivered');
  });

  it('after a lost commit reply with no attempt on record (sent within a progress interval), sends again and is answered already-present: no second copy', async () => {
    const { outcome, names } = await committedBeforeTheCrash('pending');
    expect(outcome).toMatchObject({ kind: 'uploaded', receipt: 'cam/d/y.bin', sent: 5 });
    expect(names).toEqual(['y.bin']);
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
