import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListOptions, ListProblem, Source, SourceEntry } from '@filesync/core';
import { Finder, describeProblems } from './finder';
import { type World, makeWorld } from './testing/fixture';

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

/** A listing as a device would produce it: entries, and problems told on the way. */
function listingSource(base: Source, listing: { entries: SourceEntry[]; problems: ListProblem[] }): Source {
  return {
    ...base,
    async *list(options?: ListOptions) {
      for (const p of listing.problems) options?.onProblem?.(p);
      yield* listing.entries;
    },
  };
}

const ROUTES = [{ targets: ['t'], filter: { include: ['**'], exclude: [] } }];
const entry = (path: string, size = 1): SourceEntry => ({ path, size, mtimeMs: 1_000 });

describe('Finder: one error in a listing never ends the walk', () => {
  it('records the rest, reports the problems, and keeps files under an unlisted directory from vanishing', async () => {
    world = await makeWorld();
    const base = world.source('cam');
    const listing = { entries: [entry('d/a.bin'), entry('e/b.bin'), entry('f.bin')], problems: [] as ListProblem[] };
    const finder = new Finder(listingSource(base, listing), ROUTES, world.catalog);
    expect(await finder.scan()).toMatchObject({ recorded: 3, problems: [] });

    // The next listing could not read `d`, and one entry has a size no catalog can hold.
    listing.entries = [entry('e/b.bin'), entry('bad.bin', -1), entry('g.bin')];
    listing.problems = [{ path: 'd', scope: 'tree', reason: 'permission denied' }];
    const scan = await finder.scan();
    expect(scan).toMatchObject({ recorded: 1, vanished: 1 });
    expect(scan.problems).toEqual([
      { path: 'd', scope: 'tree', reason: 'permission denied' },
      { path: 'bad.bin', scope: 'entry', reason: expect.stringMatching(/size -1 is not a non-negative integer/) },
    ]);
    expect(describeProblems(scan.problems)).toMatch(/^2 problems: d: permission denied; bad\.bin: size -1/);
    const states = Object.fromEntries(world.catalog.listFiles({ sourceId: 'cam' }).map((f) => [f.path, f.state]));
    // d/a.bin was not seen (its directory was not listed): not gone. f.bin was listed away: vanished.
    expect(states).toEqual({ 'd/a.bin': 'found', 'e/b.bin': 'found', 'f.bin': 'vanished', 'g.bin': 'found' });
  });

  it('a problem at the root (a bound reached) keeps every unseen file', async () => {
    world = await makeWorld();
    const listing = { entries: [entry('a.bin'), entry('b.bin')], problems: [] as ListProblem[] };
    const finder = new Finder(listingSource(world.source('cam'), listing), ROUTES, world.catalog);
    await finder.scan();
    listing.entries = [];
    listing.problems = [{ path: '', scope: 'tree', reason: 'more than 2 entries' }];
    expect(await finder.scan()).toMatchObject({ vanished: 0 });
  });
});

describe('Finder: a file that changes between listings', () => {
  it('a file growing before its download began is one row at its latest size, never vanished', async () => {
    const w = await makeWorld();
    world = w;
    await w.writeFiles('cam', { 'log.ulg': Buffer.from('one\n') });
    const finder = new Finder(w.source('cam'), [{ targets: ['nas'], filter: { include: ['**/*'], exclude: [] } }], w.catalog);
    expect(await finder.scan()).toMatchObject({ recorded: 1, vanished: 0 });
    for (let i = 0; i < 5; i++) {
      await appendFile(join(w.sourceDir('cam'), 'log.ulg'), 'more\n');
      expect(await finder.scan()).toMatchObject({ recorded: 1, vanished: 0 });
    }
    const rows = w.catalog.listFiles({});
    expect(rows.map((f) => [f.path, f.size, f.state])).toEqual([['log.ulg', 29, 'found']]);
    expect(w.catalog.history(rows[0]!.fileId).filter((e) => e.kind === 'file.found')).toHaveLength(6);
  });

  it('a file that changes after its download began is left to the downloader: no new version, nothing vanished', async () => {
    const w = await makeWorld();
    world = w;
    await w.writeFiles('cam', { 'log.ulg': Buffer.from('one\n') });
    const finder = new Finder(w.source('cam'), [{ targets: ['nas'], filter: { include: ['**/*'], exclude: [] } }], w.catalog);
    expect(await finder.scan()).toMatchObject({ recorded: 1, vanished: 0 });
    const [first] = w.catalog.listFiles({ state: 'found' });
    w.catalog.transitionFile(first!.fileId, 'downloading');
    await appendFile(join(w.sourceDir('cam'), 'log.ulg'), 'two\n');
    expect(await finder.scan()).toMatchObject({ recorded: 0, vanished: 0 });
    expect(w.catalog.listFiles({}).map((f) => [f.fileId, f.size, f.state])).toEqual([[first!.fileId, 4, 'downloading']]);
  });
});
