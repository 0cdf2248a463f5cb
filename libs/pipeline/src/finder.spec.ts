import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Finder } from './finder';
import { type World, makeWorld } from './testing/fixture';

describe('Finder: a file that changes between listings', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  it('records the new version and calls the old one superseded, not gone', async () => {
    await world.writeFiles('cam', { 'log.ulg': Buffer.from('one\n') });
    const finder = new Finder(world.source('cam'), [{ targets: ['nas'], filter: { include: ['**/*'], exclude: [] } }], world.catalog);
    expect(await finder.scan()).toMatchObject({ recorded: 1, vanished: 0 });
    await appendFile(join(world.sourceDir('cam'), 'log.ulg'), 'two\n');
    expect(await finder.scan()).toMatchObject({ recorded: 1, vanished: 1 });
    const [old] = world.catalog.listFiles({ state: 'vanished' });
    expect(old?.reason).toBe('superseded: changed on the source (now 8 bytes) before it was staged');
    expect(world.catalog.listFiles({ state: 'found' }).map((f) => [f.path, f.size, f.versionOf])).toEqual([['log.ulg', 8, old?.fileId]]);
  });
});
