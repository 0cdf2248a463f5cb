import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@filesync/core';
import { type Config, configSchema } from '@filesync/core/config';
import { type Catalog, openCatalog } from '@filesync/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Overview } from './overview';
import { StatusFeed } from './status-feed';

const config: Config = configSchema.parse({
  dataDir: '/unused',
  sources: [{ id: 'inbox', type: 'local', dir: '/unused/in' }],
  targets: [{ id: 'outbox', type: 'local', dir: '/unused/out' }],
  routes: [{ source: 'inbox', targets: ['outbox'] }],
});

describe('status feed tick', () => {
  let dir: string;
  let catalog: Catalog;
  let clock: ManualClock;
  let statusReads: number;
  let feed: StatusFeed;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'filesync-feed-'));
    catalog = openCatalog(join(dir, 'catalog.db')).catalog;
    clock = new ManualClock(1_000_000);
    statusReads = 0;
    feed = new StatusFeed({
      catalog,
      config,
      clock,
      status: () => {
        statusReads++;
        return { counts: catalog.counts(), health: { sources: {}, targets: {} }, tree: undefined, repair: undefined };
      },
      wake: () => undefined,
    });
  });

  afterEach(async () => {
    feed.stop();
    catalog.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A download of `path` that has moved `bytes` so far. */
  function downloading(path: string, bytes: number): string {
    const id = catalog.recordFound({ sourceId: 'inbox', path, size: 1_000_000, mtimeMs: 1_000 }, ['outbox']).fileId;
    catalog.transitionFile(id, 'downloading');
    catalog.recordDownloadProgress(id, bytes);
    return id;
  }

  it('with no page listening, samples progress but reads no counts', () => {
    const id = downloading('a.bin', 100_000);
    feed.refresh();
    clock.advance(1_000);
    catalog.recordDownloadProgress(id, 300_000);
    feed.refresh();
    expect(statusReads).toBe(0);
    // The samples taken while nobody listened are there when a page asks.
    const overview = feed.current();
    expect(overview.throughput.length).toBe(1);
    expect(overview.throughput[0]?.down).toBeGreaterThan(0);
    expect(overview.transfers.map((t) => [t.path, t.bytes, t.rate])).toEqual([['a.bin', 300_000, 200_000]]);
  });

  it('with a page listening, hands it a whole overview each tick', () => {
    downloading('a.bin', 100_000);
    const seen: Overview[] = [];
    feed.subscribe((o) => seen.push(o));
    feed.refresh();
    expect(statusReads).toBe(1);
    expect(seen.map((o) => [o.files.downloading, o.transfers.length])).toEqual([[1, 1]]);
  });
});
