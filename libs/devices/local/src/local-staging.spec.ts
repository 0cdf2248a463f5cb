import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chunksOf, patternBytes, sha256Hex } from '@filesync/core/testing';
import { createLocalStaging } from './local-staging';

describe('local staging', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fs-staging-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reports a checkpoint at least every checkpointBytes, each one durable on disk when reported', async () => {
    const staging = createLocalStaging(dir);
    const bytes = patternBytes(1_000_000, 5);
    const seen: number[] = [];
    const end = await staging.append('f1', 0, chunksOf(bytes, 50_000), {
      checkpointBytes: 200_000,
      checkpointMs: 60_000,
      onCheckpoint: async ({ offset }) => {
        seen.push(offset);
        // The record may only point at bytes already in the file.
        expect((await stat(join(dir, 'f1.part'))).size).toBeGreaterThanOrEqual(offset);
      },
    });
    expect(end).toBe(bytes.length);
    expect(seen).toEqual([200_000, 400_000, 600_000, 800_000, 1_000_000]);
    expect(await staging.seal('f1')).toBe(sha256Hex(bytes));
    expect(sha256Hex(new Uint8Array(await readFile(join(dir, 'f1'))))).toBe(sha256Hex(bytes));
  });

  it('truncates a partial file longer than its record on resume, and continues from the record', async () => {
    const staging = createLocalStaging(dir);
    const bytes = patternBytes(300_000, 6);
    await writeFile(join(dir, 'f2.part'), bytes.subarray(0, 250_000));
    expect(await staging.resume('f2', 100_000)).toBe(100_000);
    expect((await stat(join(dir, 'f2.part'))).size).toBe(100_000);
    await staging.append('f2', 100_000, chunksOf(bytes.subarray(100_000)), { checkpointBytes: 1 << 20, checkpointMs: 1000, onCheckpoint: () => undefined });
    expect(await staging.seal('f2')).toBe(sha256Hex(bytes));
  });

  it('reports a partial file shorter than its record (data lost with the power) so the download goes on from what is there', async () => {
    const staging = createLocalStaging(dir);
    await writeFile(join(dir, 'f3.part'), patternBytes(1000, 7));
    expect(await staging.resume('f3', 5000)).toBe(1000);
    expect(await staging.resume('missing', 5000)).toBe(0);
  });

  it('removes both partial and sealed files, and knows free space', async () => {
    const staging = createLocalStaging(dir);
    await writeFile(join(dir, 'f4.part'), 'x');
    await writeFile(join(dir, 'f4'), 'xy');
    expect(await staging.size('f4')).toBe(2);
    await staging.remove('f4');
    expect(await staging.size('f4')).toBe(0);
    expect(await staging.freeBytes()).toBeGreaterThan(0);
  });

  it('resumes a file sealed but not yet recorded as staged (power cut between the two) without starting over', async () => {
    const staging = createLocalStaging(dir);
    const bytes = patternBytes(200_000, 8);
    await staging.append('f5', 0, chunksOf(bytes), { checkpointBytes: 1 << 20, checkpointMs: 1000, onCheckpoint: () => undefined });
    await staging.seal('f5');
    // The catalog still says downloading, with the whole file recorded.
    expect(await staging.resume('f5', bytes.length)).toBe(bytes.length);
    expect(await staging.seal('f5')).toBe(sha256Hex(bytes));
  });
});
