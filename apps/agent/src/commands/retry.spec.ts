import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Catalog, openCatalog } from '@filesync/store';
import { makeAgentWorld } from '../../test/agent-process';
import { runCaptured } from '../../test/cli';
import { retryFailed } from '../retry';

/** A catalog with one file failed itself and one whose upload failed on a target. */
function seed(catalog: Catalog): { failedFile: string; failedUpload: string } {
  const failedFile = catalog.recordFound({ sourceId: 'inbox', path: 'bad.bin', size: 3, mtimeMs: 1 }, ['outbox']).fileId;
  catalog.transitionFile(failedFile, 'downloading');
  catalog.transitionFile(failedFile, 'failed', { reason: 'corrupt cluster', attempts: 3 });
  const failedUpload = catalog.recordFound({ sourceId: 'inbox', path: 'ok.bin', size: 3, mtimeMs: 1 }, ['outbox']).fileId;
  catalog.transitionFile(failedUpload, 'downloading');
  catalog.transitionFile(failedUpload, 'staged', { sha256: 'a'.repeat(64), downloadOffset: 3 });
  catalog.transitionTarget(failedUpload, 'outbox', 'uploading');
  catalog.transitionTarget(failedUpload, 'outbox', 'failed', { reason: '530 Login incorrect', attempts: 1 });
  return { failedFile, failedUpload };
}

describe('failed files: ls --state failed and retry', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('lists files failed themselves and files whose upload failed, and retry queues them again', async () => {
    const { dir, configFile } = await makeAgentWorld({});
    dirs.push(dir);
    const { catalog } = openCatalog(join(dir, 'catalog.db'));
    const { failedFile, failedUpload } = seed(catalog);
    catalog.close();

    const listed = await runCaptured(['ls', '--state', 'failed', '--json', '--config', configFile]);
    expect(listed.out.map((l) => (JSON.parse(l) as { fileId: string }).fileId).sort()).toEqual([failedFile, failedUpload].sort());

    const refused = await runCaptured(['retry', '--config', configFile]);
    expect(refused.code).toBe(2);
    expect(refused.err.join('\n')).toMatch(/--all/);

    const done = await runCaptured(['retry', '--all', '--config', configFile]);
    expect(done.out).toEqual(['queued again: 1 failed file, 1 failed upload']);
    const { catalog: after } = openCatalog(join(dir, 'catalog.db'));
    expect(after.getFile(failedFile)).toMatchObject({ state: 'found', attempts: 0, downloadOffset: 0 });
    expect(after.getTarget(failedUpload, 'outbox')).toMatchObject({ state: 'pending', attempts: 0 });
    after.close();
  });

  it('at agent start re-queues failed uploads (a fixed password takes effect) but not failed files', async () => {
    const { dir } = await makeAgentWorld({});
    dirs.push(dir);
    const { catalog } = openCatalog(join(dir, 'catalog.db'));
    const { failedFile, failedUpload } = seed(catalog);
    expect(retryFailed(catalog, 'start', undefined, { files: false })).toEqual({ files: 0, targets: 1 });
    expect(catalog.getFile(failedFile)?.state).toBe('failed');
    expect(catalog.getTarget(failedUpload, 'outbox')?.state).toBe('pending');
    catalog.close();
  });
});
