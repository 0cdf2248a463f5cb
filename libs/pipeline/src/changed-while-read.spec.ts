import { open, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, patternBytes, sha256Hex } from '@filesync/core/testing';
import { ReadFailureTracker, createVolumeSource } from '@filesync/device-disk';
import { Downloader } from './downloader';
import { Finder } from './finder';
import { type World, makeWorld } from './testing/fixture';

// Issue 17 item 4: a mounted drive's file replaced mid-copy with one of the same size and mtime
// was staged (and delivered) as old bytes up to the replacement and new bytes after it: a file
// that never existed. Only the fingerprint (inode, ctime) can tell, and the downloader checks it
// when the read reaches the listed size.

const SIZE = 4 * 1024 * 1024;
const CHUNK = 256 * 1024;
const MTIME_S = 1_700_000_000.5;

type Replace = (file: string, bytes: Uint8Array) => Promise<void>;

/** A new file written beside it and renamed over it (what most writers do): another inode. */
const renameOver: Replace = async (file, bytes) => {
  await writeFile(`${file}.new`, bytes);
  await utimes(`${file}.new`, MTIME_S, MTIME_S);
  await rename(`${file}.new`, file);
};

/** The same inode rewritten in place and its mtime set back: only ctime moves. */
const rewriteInPlace: Replace = async (file, bytes) => {
  const handle = await open(file, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, 0);
  } finally {
    await handle.close();
  }
  await utimes(file, MTIME_S, MTIME_S);
};

describe('a file replaced with the same size and mtime while read (disk source)', () => {
  let world: World;
  beforeEach(async () => {
    world = await makeWorld();
  });
  afterEach(() => world.cleanup());

  for (const [name, replace] of [
    ['renamed over', renameOver],
    ['rewritten in place', rewriteInPlace],
  ] as const) {
    it(`${name}: the spliced copy is discarded and the final file is staged`, async () => {
      const mount = world.sourceDir('card');
      const v1 = patternBytes(SIZE, 1);
      const v2 = patternBytes(SIZE, 2);
      await world.writeFiles('card', { 'DCIM/MOV_0001.MP4': v1 });
      const file = join(mount, 'DCIM/MOV_0001.MP4');
      await utimes(file, MTIME_S, MTIME_S);
      let replaced = false;
      const source = createVolumeSource({
        sourceId: 'card:1234-ABCD',
        drive: { device: '/dev/test', mountPoint: mount, mountId: '1', fsType: 'vfat', uuid: '1234-ABCD', label: undefined },
        readChunkBytes: CHUNK,
        tracker: new ReadFailureTracker(3),
        isPresent: async () => true,
        // Where the reader is: a quarter in, the camera puts another clip under the same name.
        readGate: async ({ offset }) => {
          if (replaced || offset < SIZE / 4) return;
          replaced = true;
          await replace(file, v2);
        },
      });
      const finder = new Finder(source, [{ targets: ['nas'], filter: { include: ['**/*'], exclude: [] } }], world.catalog);
      await finder.scan();
      const downloader = new Downloader(source, world.staging, world.catalog, { sliceBytes: SIZE * 2 });
      const outcomes: string[] = [];
      for (let i = 0; i < 10 && world.catalog.counts().files.staged === 0; i++) outcomes.push((await downloader.step()).kind);
      expect(replaced).toBe(true);
      expect(outcomes).toEqual(['changed', 'staged']);
      expect((await stat(file)).size).toBe(SIZE);
      const [staged] = world.catalog.listFiles({ state: 'staged' });
      expect(staged?.sha256).toBe(sha256Hex(v2));
      // The bytes staging holds (what the uploaders send) are the final file's.
      expect(sha256Hex(await collect(world.staging.read(staged!.fileId, 0)))).toBe(sha256Hex(v2));
    });
  }
});
