import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chunksOf, mountSmallDisk, patternBytes } from '@filesync/core/testing';
import { createLocalStaging } from './local-staging';
import { createLocalTarget } from './local-target';

// A disk with less room than one chunk takes part of it: write() returns a short count, and only the
// next write fails with ENOSPC. Staging and the local target must count what was written, not what was
// asked for, or a checkpoint records bytes that are not in the file.
const disk = mountSmallDisk(256 * 1024);
const CHUNK = 64 * 1024;

describe.skipIf(!disk)('a full disk (a real 256 KiB tmpfs; mounting it needs root)', () => {
  afterAll(() => disk?.remove());

  it('staging never reports a checkpoint past the bytes in the file when a chunk only partly fits', async () => {
    await disk!.fillLeaving(40 * 1024);
    const staging = createLocalStaging(join(disk!.dir, 'staging'));
    const checkpoints: number[] = [];
    const outcome = await staging
      .append('f1', 0, chunksOf(patternBytes(CHUNK, 1), CHUNK), {
        checkpointBytes: CHUNK,
        checkpointMs: 60_000,
        onCheckpoint: ({ offset }) => void checkpoints.push(offset),
      })
      .then((end) => `ended at ${end}`, (err: { code?: string }) => `failed: ${err.code}`);
    const size = (await stat(join(disk!.dir, 'staging', 'f1.part'))).size;
    expect(size).toBeLessThan(CHUNK);
    expect({ outcome, checkpointsPastTheFile: checkpoints.filter((c) => c > size) }).toEqual({ outcome: 'failed: no-space', checkpointsPastTheFile: [] });
    await staging.remove('f1');
  });

  it('the local target fails a write whose chunk only partly fits, instead of ending it as complete', async () => {
    await disk!.fillLeaving(40 * 1024);
    const target = createLocalTarget({ id: 'disk', dir: join(disk!.dir, 'target'), collision: 'rename' });
    const outcome = await target.write('a.bin', 0, chunksOf(patternBytes(CHUNK, 2), CHUNK)).then(
      () => 'written',
      (err: { code?: string }) => `failed: ${err.code}`,
    );
    expect(outcome).toBe('failed: no-space');
  });
});
