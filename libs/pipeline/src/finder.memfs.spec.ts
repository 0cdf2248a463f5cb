import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memFs } from '@filesync/core/testing/memfs';
import { createLocalSource } from '@filesync/device-local';
import { type Catalog, openCatalog } from '@filesync/store';
import { Finder } from './finder';

/**
 * The Finder's scan over a local source on memfs: the fast unit tests of finding. The catalog is the
 * real SQLite one (in a temp directory) since what is recorded is the point; the same scans over real
 * directories are in finder.spec.ts and the pipeline's end-to-end specs.
 */
const DIR = '/card';
const ROUTES = [{ targets: ['nas'], filter: { include: ['**'], exclude: [] } }];

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function world(files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'fs-finder-memfs-'));
  const { catalog } = openCatalog(join(dir, 'catalog.db'));
  cleanup = async () => {
    catalog.close();
    await rm(dir, { recursive: true, force: true });
  };
  const m = memFs();
  m.vol.fromJSON(files, DIR);
  return { m, catalog, finder: new Finder(createLocalSource({ id: 'cam', dir: DIR, fs: m.fs }), ROUTES, catalog) };
}

const rows = (catalog: Catalog) =>
  catalog
    .listFiles({ sourceId: 'cam' })
    .map((f) => [f.path, f.size, f.state])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));

describe('Finder over a memfs source', () => {
  it('records every file of a nested tree once, at its size, for the route\'s target; a second scan records nothing', async () => {
    const { catalog, finder } = await world({ 'DCIM/100/a.jpg': 'aaa', 'DCIM/100/deep/b.mp4': 'bbbbb', 'log.ulg': 'c' });
    expect(await finder.scan()).toMatchObject({ listed: 3, recorded: 3, vanished: 0, problems: [] });
    expect(rows(catalog)).toEqual([
      ['DCIM/100/a.jpg', 3, 'found'],
      ['DCIM/100/deep/b.mp4', 5, 'found'],
      ['log.ulg', 1, 'found'],
    ]);
    expect(await finder.scan()).toMatchObject({ listed: 3, recorded: 0, vanished: 0 });
    expect(rows(catalog)).toHaveLength(3);
  });

  it('a file growing before its download began stays one row at its latest size, never vanished', async () => {
    const { m, catalog, finder } = await world({ 'log.ulg': 'one\n' });
    expect(await finder.scan()).toMatchObject({ recorded: 1, vanished: 0 });
    for (let i = 0; i < 5; i++) {
      m.vol.appendFileSync(`${DIR}/log.ulg`, 'more\n');
      expect(await finder.scan()).toMatchObject({ recorded: 1, vanished: 0 });
    }
    expect(rows(catalog)).toEqual([['log.ulg', 29, 'found']]);
    const [row] = catalog.listFiles({ sourceId: 'cam' });
    expect(catalog.history(row!.fileId).filter((e) => e.kind === 'file.found')).toHaveLength(6);
  });

  it('a file deleted before it was staged is vanished; put back, it is found again', async () => {
    const { m, catalog, finder } = await world({ 'a.bin': 'a', 'b.bin': 'b' });
    await finder.scan();
    const bytes = m.vol.readFileSync(`${DIR}/b.bin`);
    const { mtime } = m.vol.statSync(`${DIR}/b.bin`);
    m.vol.unlinkSync(`${DIR}/b.bin`);
    expect(await finder.scan()).toMatchObject({ recorded: 0, vanished: 1 });
    expect(rows(catalog)).toEqual([
      ['a.bin', 1, 'found'],
      ['b.bin', 1, 'vanished'],
    ]);
    // The same version (size and mtime) back on the card: the same row, found again.
    m.vol.writeFileSync(`${DIR}/b.bin`, bytes);
    m.vol.utimesSync(`${DIR}/b.bin`, mtime, mtime);
    expect(await finder.scan()).toMatchObject({ recorded: 0, reappeared: 1, vanished: 0 });
    expect(rows(catalog)).toEqual([
      ['a.bin', 1, 'found'],
      ['b.bin', 1, 'found'],
    ]);
  });

  it('files under a directory that fails to list this time are not seen, never vanished', async () => {
    const { m, catalog } = await world({ 'd/a.bin': 'a', 'e/b.bin': 'b' });
    let failing = false;
    // The fault injected: opendir of `d` fails with EIO on the second scan, as a failing card does.
    const source = createLocalSource({
      id: 'cam',
      dir: DIR,
      fs: {
        ...m.fs,
        opendir: (path) => (failing && path === `${DIR}/d` ? Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })) : m.fs.opendir(path)),
      },
    });
    const finder = new Finder(source, ROUTES, catalog);
    expect(await finder.scan()).toMatchObject({ recorded: 2 });
    failing = true;
    const scan = await finder.scan();
    expect(scan).toMatchObject({ listed: 1, vanished: 0 });
    expect(scan.problems).toEqual([expect.objectContaining({ path: 'd', scope: 'tree' })]);
    expect(rows(catalog)).toEqual([
      ['d/a.bin', 1, 'found'],
      ['e/b.bin', 1, 'found'],
    ]);
  });
});
