import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ManualClock, PermanentError, fileId } from '@filesync/core';
import { openCatalog } from './open-catalog';
import type { Catalog } from './catalog';
import { dumpStore } from './testing/dump-store';
import { errorOf, identity, tempDirs } from './testing/fixtures';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

const SHA = 'a'.repeat(64);

describe('Catalog', () => {
  let catalog: Catalog;
  let path: string;
  let clock: ManualClock;

  beforeEach((ctx) => {
    path = join(dirs.make(), 'catalog.db');
    clock = new ManualClock(1_750_000_000_000);
    catalog = openCatalog(path, { clock }).catalog;
    ctx.onTestFinished(() => catalog.close());
  });

  /** Takes a file with targets a and b through to staged. */
  function staged(n = 1): string {
    const { fileId: id } = catalog.recordFound(identity(n), ['a', 'b']);
    catalog.transitionFile(id, 'downloading');
    catalog.recordDownloadProgress(id, identity(n).size);
    catalog.transitionFile(id, 'staged', { sha256: SHA });
    return id;
  }

  it('records a found file once, with one pending row per target and a found event', () => {
    const first = catalog.recordFound(identity(1), ['ftp', 'review', 'ftp']);
    const again = catalog.recordFound(identity(1), ['ftp', 'review']);
    expect(first).toEqual({ fileId: fileId(identity(1)), isNew: true });
    expect(again).toEqual({ fileId: first.fileId, isNew: false });
    expect(catalog.getFile(first.fileId)).toMatchObject({ state: 'found', size: 1001, downloadOffset: 0, versionOf: null });
    expect(catalog.targetsOf(first.fileId).map((t) => [t.targetId, t.state])).toEqual([
      ['ftp', 'pending'],
      ['review', 'pending'],
    ]);
    expect(catalog.history(first.fileId).map((e) => e.kind)).toEqual(['file.found']);
  });

  it('links a changed file (new size or mtime) to its earlier version', () => {
    const v1 = staged(1);
    clock.advance(10);
    const v2 = catalog.recordFound(identity(1, { size: 5000 }), ['a']).fileId;
    expect(v2).not.toBe(v1);
    expect(catalog.getFile(v2)?.versionOf).toBe(v1);
    expect(catalog.history(v2)[0]?.detail).toEqual({ targets: ['a'], versionOf: v1 });
  });

  it('a file growing before its download began stays one row: the found row becomes the new version, its history kept', () => {
    const older = catalog.recordFound(identity(1, { size: 10 }), ['a']).fileId;
    catalog.transitionFile(older, 'downloading');
    catalog.transitionFile(older, 'vanished', { reason: 'superseded' });
    const v1 = catalog.recordFound(identity(1, { size: 100 }), ['a', 'b']).fileId;
    const sizes = [200, 300, 400];
    let latest = v1;
    for (const size of sizes) {
      clock.advance(1000);
      const r = catalog.recordFound(identity(1, { size }), ['a']);
      expect(r).toEqual({ fileId: fileId(identity(1, { size })), isNew: true, grew: latest });
      latest = r.fileId;
    }
    const rows = catalog.listFiles({ sourceId: identity(1).sourceId });
    expect(rows.map((f) => [f.size, f.state])).toEqual([[10, 'vanished'], [400, 'found']]);
    const row = catalog.getFile(latest)!;
    expect(row).toMatchObject({ size: 400, versionOf: older, foundAt: clock.now(), downloadOffset: 0 });
    expect(catalog.getFile(v1)).toBeUndefined();
    expect(catalog.targetsOf(latest).map((t) => [t.targetId, t.state])).toEqual([['a', 'pending']]);
    const history = catalog.history(latest);
    expect(history.map((e) => `${e.kind}:${e.fromState ?? ''}>${e.toState ?? ''}`)).toEqual(['file.found:>found', ...sizes.map(() => 'file.found:found>found')]);
    expect(history[1]?.detail).toEqual({ targets: ['a'], grewFrom: { fileId: v1, size: 100, mtimeMs: identity(1).mtimeMs } });
    expect(catalog.checkIntegrity()).toEqual([]);
  });

  it('leaves a file being downloaded to the downloader: another size in a listing changes nothing', () => {
    const v1 = catalog.recordFound(identity(1, { size: 100 }), ['a']).fileId;
    catalog.transitionFile(v1, 'downloading', { downloadOffset: 0 });
    expect(catalog.recordFound(identity(1, { size: 200 }), ['a'])).toEqual({ fileId: v1, isNew: false });
    catalog.recordDownloadProgress(v1, 50);
    expect(catalog.recordFound(identity(1, { size: 300, mtimeMs: 99 }), ['a'])).toEqual({ fileId: v1, isNew: false });
    expect(catalog.listFiles({}).map((f) => [f.fileId, f.size, f.state])).toEqual([[v1, 100, 'downloading']]);
    // Once its copy is staged, a change is a version of its own again.
    catalog.transitionFile(v1, 'staged', { sha256: 'a'.repeat(64), downloadOffset: 100 });
    const next = catalog.recordFound(identity(1, { size: 500 }), ['a']);
    expect(next).toMatchObject({ isNew: true });
    expect(next.grew).toBeUndefined();
    expect(catalog.getFile(next.fileId)?.versionOf).toBe(v1);
    expect(catalog.checkIntegrity()).toEqual([]);
  });

  it('records a version rewritten in place (same size and mtime) once, as the one a listing of that key now means', () => {
    const v1 = staged(1);
    clock.advance(10);
    const v2 = catalog.recordRewrittenInPlace(v1, '8:42:999:1001:1', 'fingerprint differs');
    expect(v2.isNew).toBe(true);
    expect(v2.fileId).not.toBe(v1);
    expect(catalog.getFile(v2.fileId)).toMatchObject({ state: 'found', size: 1001, versionOf: v1, downloadOffset: 0, sha256: null });
    expect(catalog.targetsOf(v2.fileId).map((t) => [t.targetId, t.state])).toEqual([
      ['a', 'pending'],
      ['b', 'pending'],
    ]);
    // The listing shows only size and mtime: it now means the rewritten version, not the first one.
    expect(catalog.recordFound(identity(1), ['a', 'b'])).toEqual({ fileId: v2.fileId, isNew: false });
    // Seen again (every sweep), or from the older row: nothing new.
    expect(catalog.recordRewrittenInPlace(v1, '8:42:999:1001:1', 'again')).toEqual({ fileId: v2.fileId, isNew: false });
    expect(catalog.recordRewrittenInPlace(v1, '8:42:1234:1001:1', 'a third rewrite, seen from the first row')).toEqual({ fileId: v2.fileId, isNew: false });
    expect(catalog.listFiles({ sourceId: identity(1).sourceId })).toHaveLength(2);
  });

  it('walks the normal path and writes one event per transition', () => {
    const id = staged();
    for (const t of ['a', 'b']) {
      catalog.transitionTarget(id, t, 'uploading');
      catalog.recordUploadProgress(id, t, 500);
      catalog.transitionTarget(id, t, 'uploaded', { receipt: `https://${t}/x`, offset: 1001 });
    }
    catalog.transitionFile(id, 'delivered');
    const removed = catalog.transitionFile(id, 'removed');
    expect(removed).toMatchObject({ state: 'removed', sha256: SHA, downloadOffset: 1001 });
    expect(catalog.getFile(id)).toEqual(removed);
    expect(catalog.getTarget(id, 'a')).toMatchObject({ state: 'uploaded', offset: 1001, receipt: 'https://a/x' });
    const kinds = catalog.history(id).map((e) => `${e.kind}:${e.targetId ?? ''}:${e.fromState ?? ''}>${e.toState ?? ''}`);
    expect(kinds).toEqual([
      'file.found::>found',
      'file.state::found>downloading',
      'file.state::downloading>staged',
      'target.state:a:pending>uploading',
      'target.state:a:uploading>uploaded',
      'target.state:b:pending>uploading',
      'target.state:b:uploading>uploaded',
      'file.state::staged>delivered',
      'file.state::delivered>removed',
    ]);
  });

  it('refuses an illegal transition with illegal-transition and writes nothing', () => {
    const id = catalog.recordFound(identity(1), ['a']).fileId;
    const before = dumpStore(path);
    const err = errorOf(() => catalog.transitionFile(id, 'delivered'));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe('illegal-transition');
    expect(err.message).toBe('illegal file transition found → delivered');
    expect(errorOf(() => catalog.transitionTarget(id, 'a', 'pending')).code).toBe('illegal-transition');
    expect(dumpStore(path)).toEqual(before);
  });

  it('re-reads the state inside the transaction: a second identical move is illegal', () => {
    const id = staged();
    catalog.transitionTarget(id, 'a', 'uploading');
    catalog.transitionTarget(id, 'a', 'uploaded');
    expect(errorOf(() => catalog.transitionTarget(id, 'a', 'uploaded')).code).toBe('illegal-transition');
  });

  it('delivers a file only when every target has it, and stages only with a sha256', () => {
    const id = staged();
    catalog.transitionTarget(id, 'a', 'uploading');
    catalog.transitionTarget(id, 'a', 'uploaded');
    const before = dumpStore(path);
    const err = errorOf(() => catalog.transitionFile(id, 'delivered'));
    expect(err.code).toBe('illegal-transition');
    expect(err.message).toMatch(/not on every target yet \(b=pending\)/);
    expect(dumpStore(path)).toEqual(before);
    catalog.transitionTarget(id, 'b', 'skipped', { reason: 'duplicate of x' });
    expect(catalog.transitionFile(id, 'delivered').state).toBe('delivered');

    const other = catalog.recordFound(identity(2), ['a']).fileId;
    catalog.transitionFile(other, 'downloading');
    expect(errorOf(() => catalog.transitionFile(other, 'staged')).code).toBe('bad-request');
    expect(catalog.getFile(other)?.state).toBe('downloading');
  });

  it('counts failures as attempts and keeps the reason only for the state it explains', () => {
    const id = catalog.recordFound(identity(1), ['a']).fileId;
    catalog.transitionFile(id, 'downloading');
    expect(catalog.transitionFile(id, 'failed', { reason: 'checksum mismatch' })).toMatchObject({ attempts: 1, reason: 'checksum mismatch' });
    expect(catalog.transitionFile(id, 'found')).toMatchObject({ attempts: 1, reason: null });
    catalog.transitionFile(id, 'failed', { reason: 'again' });
    expect(catalog.getFile(id)?.attempts).toBe(2);
    expect(catalog.history(id).at(-1)?.detail).toEqual({ reason: 'again' });
  });

  it('records download progress only while downloading and never backwards without a reset', () => {
    const id = catalog.recordFound(identity(1), ['a']).fileId;
    expect(errorOf(() => catalog.recordDownloadProgress(id, 10)).code).toBe('illegal-transition');
    catalog.transitionFile(id, 'downloading');
    catalog.recordDownloadProgress(id, 400);
    const before = dumpStore(path);
    const back = errorOf(() => catalog.recordDownloadProgress(id, 300));
    expect(back.code).toBe('bad-request');
    expect(back.message).toMatch(/would go back from 400 to 300/);
    expect(errorOf(() => catalog.recordDownloadProgress(id, 5000)).code).toBe('bad-request'); // past the size
    expect(dumpStore(path)).toEqual(before);
    catalog.recordDownloadProgress(id, 300, { reset: true });
    expect(catalog.getFile(id)?.downloadOffset).toBe(300);
    expect(catalog.history(id).at(-1)).toMatchObject({ kind: 'file.download-reset', detail: { from: 400, to: 300 } });
    // progress itself is not history: found, downloading, reset
    expect(catalog.history(id)).toHaveLength(3);
  });

  it('records upload progress per target, only while uploading', () => {
    const id = staged();
    expect(errorOf(() => catalog.recordUploadProgress(id, 'a', 10)).code).toBe('illegal-transition');
    catalog.transitionTarget(id, 'a', 'uploading');
    catalog.recordUploadProgress(id, 'a', 700);
    expect(errorOf(() => catalog.recordUploadProgress(id, 'a', 600)).code).toBe('bad-request');
    expect(catalog.getTarget(id, 'a')?.offset).toBe(700);
    expect(catalog.getTarget(id, 'b')?.offset).toBe(0);
    catalog.transitionTarget(id, 'a', 'pending', { offset: 0, reason: 'target lost its partial copy' });
    expect(catalog.getTarget(id, 'a')).toMatchObject({ state: 'pending', offset: 0, reason: 'target lost its partial copy' });
    expect(errorOf(() => catalog.recordUploadProgress(id, 'zzz', 1)).code).toBe('not-found');
    expect(errorOf(() => catalog.transitionFile('nope', 'downloading')).code).toBe('not-found');
  });

  it('counts files per state, per source and target rows per target', () => {
    const a = catalog.recordFound(identity(1), ['ftp']).fileId;
    catalog.recordFound(identity(2), ['ftp', 'review']);
    catalog.recordFound(identity(3, { sourceId: 'flir' }), ['ftp']);
    catalog.transitionFile(a, 'downloading');
    const counts = catalog.counts();
    expect(counts.files).toEqual({ found: 2, downloading: 1, staged: 0, delivered: 0, removed: 0, vanished: 0, failed: 0, skipped: 0 });
    expect(counts.bySource['px4']).toMatchObject({ found: 1, downloading: 1 });
    expect(counts.bySource['flir']).toMatchObject({ found: 1, downloading: 0 });
    expect(counts.byTarget).toEqual({
      ftp: { pending: 3, uploading: 0, uploaded: 0, failed: 0, skipped: 0 },
      review: { pending: 1, uploading: 0, uploaded: 0, failed: 0, skipped: 0 },
    });
  });

  it('lists files by state and source, oldest first, with a limit', () => {
    const ids = [1, 2, 3, 4].map((n) => {
      clock.advance(1);
      return catalog.recordFound(identity(n, { sourceId: n % 2 ? 'px4' : 'flir' }), []).fileId;
    });
    catalog.transitionFile(ids[2]!, 'skipped', { reason: 'filtered' });
    expect(catalog.listFiles().map((f) => f.fileId)).toEqual(ids);
    expect(catalog.listFiles({ state: 'found', sourceId: 'px4' }).map((f) => f.fileId)).toEqual([ids[0]]);
    expect(catalog.listFiles({ state: 'found', limit: 2 }).map((f) => f.fileId)).toEqual([ids[0], ids[1]]);
  });

  it('keeps a history of all files, limited to the newest', () => {
    const a = catalog.recordFound(identity(1), []).fileId;
    const b = catalog.recordFound(identity(2), []).fileId;
    catalog.transitionFile(a, 'downloading');
    expect(catalog.history().map((e) => e.fileId)).toEqual([a, b, a]);
    expect(catalog.history(undefined, { limit: 2 }).map((e) => [e.fileId, e.kind])).toEqual([
      [b, 'file.found'],
      [a, 'file.state'],
    ]);
  });

  it('hands a rescan request out once', () => {
    expect(catalog.takeRescanRequest()).toBeUndefined();
    catalog.requestRescan('operator');
    expect(catalog.takeRescanRequest()).toEqual({ at: clock.now(), reason: 'operator' });
    expect(catalog.takeRescanRequest()).toBeUndefined();
  });

  it('exports one CSV row per file × target, quoting what needs it', async () => {
    const odd = catalog.recordFound(identity(1, { path: 'dir, "quoted"/line\nbreak.txt' }), ['a', 'b']).fileId;
    clock.advance(1);
    const plain = catalog.recordFound(identity(2), []).fileId;
    catalog.transitionFile(odd, 'downloading');
    catalog.transitionFile(odd, 'failed', { reason: 'EIO, drive "pulled"' });
    const csv = catalog.exportCsv();
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(
      'file_id,source_id,path,size,mtime,file_state,download_offset,sha256,file_reason,file_attempts,found_at,file_updated_at,version_of,target_id,target_state,target_offset,receipt,target_reason,target_attempts,target_updated_at',
    );
    expect(csv).toContain(`${odd},px4,"dir, ""quoted""/line\nbreak.txt",1001,`);
    expect(csv).toContain(',failed,0,,"EIO, drive ""pulled""",1,');
    expect(csv.match(new RegExp(odd, 'g'))).toHaveLength(2);
    expect(csv).toContain(`${plain},px4,log/00002.ulg,1002,2023-11-14T22:13:20.002Z,found,0,,,0,`);
    expect(csv.endsWith('\r\n')).toBe(true);

    const chunks: string[] = [];
    const { Writable } = await import('node:stream');
    const out = new Writable({
      highWaterMark: 16, // forces back-pressure on every page
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        setImmediate(done);
      },
    });
    await catalog.exportCsv(out);
    expect(chunks.join('')).toBe(csv);
  });

  it('pages the streamed CSV export over many rows', async () => {
    for (let n = 0; n < 510; n++) catalog.recordFound(identity(n), ['a']); // just over one page of 500
    const { PassThrough } = await import('node:stream');
    const out = new PassThrough();
    const text: string[] = [];
    out.on('data', (c: Buffer) => text.push(c.toString()));
    await catalog.exportCsv(out);
    const streamed = text.join('');
    expect(streamed.split('\r\n').length - 2).toBe(510);
    expect(streamed).toBe(catalog.exportCsv());
  });

  it('rejects bad identities and offsets with a clear message', () => {
    expect(errorOf(() => catalog.recordFound(identity(1, { size: -1 }), [])).message).toMatch(/size of px4:log\/00001.ulg must be a non-negative integer/);
    expect(errorOf(() => catalog.recordFound(identity(1, { sourceId: '' }), [])).code).toBe('bad-request');
  });
});
