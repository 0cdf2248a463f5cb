import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@filesync/core';
import { type Catalog, openCatalog } from '@filesync/store';
import { TransferRate } from '../metrics/transfer-rate';
import { eta, transferLine } from './transfer-lines';
import { watchFrame } from './watch-frame';

const MIB = 1024 * 1024;

describe('status --watch: one frame', () => {
  let dir: string | undefined;
  let catalog: Catalog | undefined;
  afterEach(async () => {
    catalog?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows each transfer in flight with its progress, the rate between frames and the ETA (a real catalog)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fs-watch-'));
    catalog = openCatalog(join(dir, 'catalog.db')).catalog;
    const clock = new ManualClock(1_000_000);
    const rates = new TransferRate(10_000, clock);
    const { fileId } = catalog.recordFound({ sourceId: 'px4', path: 'log/01.ulg', size: 10 * MIB, mtimeMs: 1 }, ['nas']);
    catalog.transitionFile(fileId, 'downloading');
    catalog.recordDownloadProgress(fileId, 2 * MIB);
    const status = { health: { sources: { px4: { state: 'up' } }, targets: { nas: { state: 'down', cause: { message: 'connection refused' } } } } };
    const first = watchFrame(catalog, 'running, status at http://127.0.0.1:1', status, rates);
    expect(first.slice(0, 4)).toEqual(['agent: running, status at http://127.0.0.1:1', 'source px4: up', 'target nas: down (connection refused)', '1 transfer in flight:']);
    expect(first[4]).toContain('stalled  ETA --:--');
    clock.advance(2000);
    catalog.recordDownloadProgress(fileId, 4 * MIB);
    const second = watchFrame(catalog, 'running', status, rates);
    // 2 MiB in 2 s: 1 MiB/s, 6 MiB left: 6 s.
    expect(second[4]).toBe(`  ↓ [########------------]  40%  4.0 MiB/10.0 MiB  1.0 MiB/s  ETA 0:06  px4:log/01.ulg`);
    expect(second.at(-1)).toBe('files: downloading 1');
    // Staged, then uploading to nas: the upload is the transfer in flight now.
    catalog.recordDownloadProgress(fileId, 10 * MIB);
    catalog.transitionFile(fileId, 'staged', { sha256: 'a'.repeat(64) });
    catalog.transitionTarget(fileId, 'nas', 'uploading');
    catalog.recordUploadProgress(fileId, 'nas', 5 * MIB);
    const third = watchFrame(catalog, 'running', status, rates);
    expect(third.slice(3, 5)).toEqual(['1 transfer in flight:', expect.stringMatching(/^ {2}↑ \[#{10}-{10}\]  50%  5\.0 MiB\/10\.0 MiB  stalled  ETA --:--  px4:log\/01\.ulg → nas$/)]);
  });

  it('ETA in m:ss or h:mm:ss, and none when nothing moves', () => {
    expect(eta(90, 1)).toBe('1:30');
    expect(eta(3 * 3600 + 61, 1)).toBe('3:01:01');
    expect(eta(100, 0)).toBe('--:--');
    expect(transferLine({ kind: 'upload', label: 'a → nas', done: 0, size: 0, rate: 0 })).toContain('100%');
  });
});
