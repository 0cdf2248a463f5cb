import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isFilesyncError } from '@filesync/core';
import { mountSmallDisk } from '@filesync/core/testing';
import { openCatalog } from './open-catalog';
import { errorOf, identity } from './testing/fixtures';

// On a companion computer the catalog shares its disk with staging (DATADIR/catalog.db beside
// DATADIR/staging): when the disk fills, a catalog write fails with SQLITE_FULL. That must reach the
// pipeline as a transient no-space — a download then waits and retries — not as an unknown error, which
// the downloader ends `failed` and a human has to retry. A real small disk (a 1 MiB tmpfs; root only).
const disk = mountSmallDisk(1024 * 1024);

describe.skipIf(!disk)('the catalog on a full disk (a real 1 MiB tmpfs; mounting it needs root)', () => {
  afterAll(() => disk?.remove());

  it('answers a write it has no room for with a transient no-space, closes on the full disk, and takes the write once there is room', async () => {
    const path = join(disk!.dir, 'catalog.db');
    const { catalog } = openCatalog(path);
    const first = catalog.recordFound(identity(0), ['nas']);
    await disk!.fillLeaving(0);
    // Enough rows to need new pages whatever the WAL had room for.
    const err = errorOf(() => {
      for (let i = 0; i < 2000; i++) catalog.recordFound(identity(i + 1), ['nas']);
    });
    expect(isFilesyncError(err) && { kind: err.kind, code: err.code }).toEqual({ kind: 'transient', code: 'no-space' });
    expect(err.message).toMatch(/disk full/);
    // A stop while the disk is full (its statistics cannot be written) still closes.
    expect(() => catalog.close()).not.toThrow();
    await disk!.empty();
    const { catalog: again } = openCatalog(path);
    try {
      expect(again.transitionFile(first.fileId, 'downloading').state).toBe('downloading');
    } finally {
      again.close();
    }
  });
});
