import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chunksOf, mountSmallDisk, patternBytes } from '@filesync/core/testing';
import { createHttpTarget } from './http-target';

// The HTTP target copies a file to its spool on the agent's disk before it POSTs it. A disk with less
// room than one chunk takes part of it (a short write): the write must fail there. Counted as whole, the
// torn copy is caught here only because the spool's record of it cannot be written on the full disk
// either (a raw ENOSPC); with a page freed in between, the spool would vouch for it.
const disk = mountSmallDisk(256 * 1024);
const CHUNK = 64 * 1024;

describe.skipIf(!disk)('the HTTP target on a full disk (a real 256 KiB tmpfs; mounting it needs root)', () => {
  afterAll(() => disk?.remove());

  it('fails a spool write whose chunk only partly fits, instead of recording it complete', async () => {
    await disk!.fillLeaving(40 * 1024);
    // Nothing listens there: the write never reaches the network.
    const target = createHttpTarget({ id: 'site', mode: 'form', url: 'http://127.0.0.1:9/files', fileField: 'file', spoolDir: join(disk!.dir, 'spool') });
    const outcome = await target.write('log.ulg', 0, chunksOf(patternBytes(CHUNK, 3), CHUNK)).then(
      () => 'written',
      (err: { code?: string }) => `failed: ${err.code}`,
    );
    expect(outcome).toBe('failed: no-space');
  });
});
