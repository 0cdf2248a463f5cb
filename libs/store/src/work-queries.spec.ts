import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ManualClock } from '@filesync/core';
import { Catalog } from './catalog';
import { openConnection } from './connection';
import { openCatalog } from './open-catalog';
import { identity, tempDirs } from './testing/fixtures';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

const SHA = 'a'.repeat(64);

/** The queries the pipeline's loops run per file: they must cost the same with a backlog of any size. */
describe('catalog work queries', () => {
  let catalog: Catalog;
  let path: string;
  let clock: ManualClock;

  beforeEach((ctx) => {
    path = join(dirs.make(), 'catalog.db');
    clock = new ManualClock(1_750_000_000_000);
    catalog = openCatalog(path, { clock }).catalog;
    ctx.onTestFinished(() => catalog.close());
  });

  it('recordFound of a known identity takes no write lock: a scan does not hold up the other stages', () => {
    const first = catalog.recordFound(identity(1), ['nas']);
    // Another connection holds the write lock; this one would wait 50 ms and fail busy if it asked for it.
    const writer = openConnection(path);
    const reader = new Catalog(openConnection(path, { busyTimeoutMs: 50 }), path);
    try {
      writer.prepare('BEGIN IMMEDIATE').run();
      expect(reader.recordFound(identity(1), ['nas'])).toEqual({ fileId: first.fileId, isNew: false });
      // A new identity still needs the lock, and says so.
      expect(() => reader.recordFound(identity(2), ['nas'])).toThrow(expect.objectContaining({ code: 'busy' }));
      writer.prepare('COMMIT').run();
      expect(reader.recordFound(identity(2), ['nas']).isNew).toBe(true);
    } finally {
      reader.close();
      writer.close();
    }
  });

  it('recordFoundBatch records a listing\'s new files in one transaction, answering each entry as recordFound would', () => {
    const known = catalog.recordFound(identity(1), ['nas']);
    const before = catalog.history().length;
    const results = catalog.recordFoundBatch([
      { identity: identity(1), targets: ['nas'] },
      { identity: identity(2), targets: ['nas'] },
      { identity: identity(3, { size: -1 }), targets: ['nas'] },
      { identity: identity(4), targets: ['nas', 'web'] },
    ]);
    expect(results[0]).toEqual({ fileId: known.fileId, isNew: false });
    expect(results[1]).toMatchObject({ isNew: true });
    expect(results[2]).toMatchObject({ error: { code: 'bad-request' } });
    expect(results[3]).toMatchObject({ isNew: true });
    expect(catalog.history().length - before).toBe(2);
    expect(catalog.targetsOf((results[3] as { fileId: string }).fileId).map((t) => t.targetId)).toEqual(['nas', 'web']);
    // The same listing again writes nothing, and needs no write lock.
    const writer = openConnection(path);
    const reader = new Catalog(openConnection(path, { busyTimeoutMs: 50 }), path);
    try {
      writer.prepare('BEGIN IMMEDIATE').run();
      expect(reader.recordFoundBatch([{ identity: identity(2), targets: ['nas'] }])).toEqual([results[1]].map((r) => ({ ...r, isNew: false })));
      writer.prepare('COMMIT').run();
    } finally {
      reader.close();
      writer.close();
    }
  });

  it('foundInOrder pages a source\'s found files: small first, by mtime then path, stepping-aside files left out', () => {
    const small = 1500;
    // Sizes 1001..1040: ids 1..30 are small (≤ 1500 means all of them here), so make some large.
    const ids: string[] = [];
    for (let n = 1; n <= 40; n++) {
      const big = n % 4 === 0;
      ids.push(catalog.recordFound(identity(n, { size: big ? 5000 + n : 1000 + n, mtimeMs: 1_700_000_000_000 + ((n * 7) % 40) }), ['nas']).fileId);
    }
    catalog.recordFound(identity(1, { sourceId: 'other' }), ['nas']);
    // One file taken, one stepping aside until later: neither is offered.
    catalog.transitionFile(ids[0]!, 'downloading');
    catalog.transitionFile(ids[1]!, 'downloading');
    catalog.transitionFile(ids[1]!, 'found', { retryAt: clock.now() + 60_000 });
    const expected = catalog
      .listFiles({ sourceId: 'px4', state: 'found' })
      .filter((f) => f.retryAt <= clock.now())
      .sort((a, b) => Number(a.size > small) - Number(b.size > small) || a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1))
      .map((f) => f.fileId);
    expect(expected).toHaveLength(38);
    const pages: string[] = [];
    for (let offset = 0; offset < 60; offset += 7) {
      pages.push(...catalog.foundInOrder({ sourceId: 'px4', smallFileBytes: small, order: 'oldest-first', now: clock.now(), limit: 7, offset }).map((f) => f.fileId));
    }
    expect(pages).toEqual(expected);
    const newest = catalog.foundInOrder({ sourceId: 'px4', smallFileBytes: small, order: 'newest-first', now: clock.now(), limit: 3 });
    const smallNewest = catalog
      .listFiles({ sourceId: 'px4', state: 'found' })
      .filter((f) => f.size <= small && f.retryAt <= clock.now())
      .sort((a, b) => b.mtimeMs - a.mtimeMs || (a.path < b.path ? -1 : 1));
    expect(newest.map((f) => f.fileId)).toEqual(smallNewest.slice(0, 3).map((f) => f.fileId));
    // Once its wait is over, the file stepping aside is offered again.
    clock.advance(60_000);
    expect(catalog.foundInOrder({ sourceId: 'px4', smallFileBytes: small, order: 'oldest-first', now: clock.now(), limit: 100 })).toHaveLength(39);
  });

  it('foundInOrder\'s query walks the partial index in order: no sort of the whole backlog', () => {
    const plan = (catalog as unknown as { db: { prepare(sql: string): { all(...a: unknown[]): { detail: string }[] } } }).db
      .prepare(`EXPLAIN QUERY PLAN SELECT * FROM files INDEXED BY files_found_order WHERE source_id = ? AND state = 'found' AND size <= ? AND retry_at <= ? ORDER BY mtime_ms ASC, path LIMIT ? OFFSET ?`)
      .all('px4', 1, 1, 1, 0)
      .map((r) => r.detail)
      .join('; ');
    expect(plan).toContain('files_found_order');
    expect(plan).not.toContain('TEMP B-TREE');
  });

  it('completeTarget delivers the file in the same transaction when its last target is done, not before', () => {
    const { fileId } = catalog.recordFound(identity(1), ['nas', 'web']);
    catalog.transitionFile(fileId, 'downloading');
    catalog.transitionFile(fileId, 'staged', { sha256: SHA, downloadOffset: identity(1).size });
    for (const t of ['nas', 'web']) catalog.transitionTarget(fileId, t, 'uploading');
    expect(catalog.completeTarget(fileId, 'nas', 'uploaded', { offset: identity(1).size }).delivered).toBeUndefined();
    expect(catalog.getFile(fileId)?.state).toBe('staged');
    const last = catalog.completeTarget(fileId, 'web', 'skipped');
    expect(last).toMatchObject({ target: { state: 'skipped' }, delivered: { fileId, state: 'delivered' } });
    expect(catalog.getFile(fileId)?.state).toBe('delivered');
    // An illegal target move writes nothing, the file's included.
    expect(() => catalog.completeTarget(fileId, 'web', 'uploaded')).toThrow(expect.objectContaining({ code: 'illegal-transition' }));
    expect(catalog.getTarget(fileId, 'web')?.state).toBe('skipped');
  });

  it('nextOwed: the staged file owed to a target, unfinished uploads first, then the smallest', () => {
    const stage = (n: number, size: number): string => {
      const { fileId } = catalog.recordFound(identity(n, { size }), ['nas', 'web']);
      catalog.transitionFile(fileId, 'downloading');
      catalog.transitionFile(fileId, 'staged', { sha256: SHA, downloadOffset: size });
      return fileId;
    };
    expect(catalog.nextOwed('nas')).toBeUndefined();
    catalog.recordFound(identity(9, { size: 1 }), ['nas']); // found, not staged: not owed yet
    const large = stage(1, 3000);
    const smallest = stage(2, 1000);
    const middle = stage(3, 2000);
    expect(catalog.nextOwed('nas')?.file.fileId).toBe(smallest);
    catalog.transitionTarget(middle, 'nas', 'uploading');
    expect(catalog.nextOwed('nas')).toMatchObject({ file: { fileId: middle }, row: { targetId: 'nas', state: 'uploading' } });
    catalog.transitionTarget(middle, 'nas', 'uploaded', { offset: 2000 });
    catalog.transitionTarget(smallest, 'nas', 'uploading');
    catalog.transitionTarget(smallest, 'nas', 'uploaded', { offset: 1000 });
    expect(catalog.nextOwed('nas')?.file.fileId).toBe(large);
    // Another target's rows are its own.
    expect(catalog.nextOwed('web')?.file.fileId).toBe(smallest);
    // A send beside others skips the files in flight, and beside a large one takes small ones only.
    expect(catalog.nextOwed('web', { skip: [smallest] })?.file.fileId).toBe(middle);
    expect(catalog.nextOwed('web', { skip: [smallest, middle] })?.file.fileId).toBe(large);
    expect(catalog.nextOwed('web', { skip: [smallest], maxSize: 1500 })).toBeUndefined();
    expect(catalog.nextOwed('web', { maxSize: 1000 })?.file.fileId).toBe(smallest);
  });
});
