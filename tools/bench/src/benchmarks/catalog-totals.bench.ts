import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type Catalog, openCatalog } from '@filesync/store';
import { ioBytes } from '../agent/agent-runs';
import { defineBenchmark } from '../benchmark';
import { median, percentile } from '../stats';

const FILE_STATES = ['delivered', 'delivered', 'delivered', 'removed', 'found', 'downloading', 'staged'] as const;
const TARGET_STATES = ['uploaded', 'uploaded', 'uploaded', 'uploaded', 'pending', 'pending', 'uploading'] as const;

/**
 * Fills a catalog with `files` files of three sources, each for two targets, with a history of two
 * events per file and one per target row; every `failedEvery`-th file and target row failed (with a
 * code). Rows go in by SQL in one transaction: through the Catalog API each would be a durable commit.
 */
function fill(path: string, files: number, failedEvery: number): void {
  openCatalog(path).catalog.close();
  const db = new Database(path);
  const file = db.prepare(`INSERT INTO files (file_id, source_id, path, size, mtime_ms, state, download_offset, found_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const target = db.prepare(`INSERT INTO file_targets (file_id, target_id, state, offset, updated_at, size) VALUES (?, ?, ?, ?, ?, ?)`);
  const event = db.prepare(`INSERT INTO events (at, file_id, target_id, kind, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const failed = (n: number): boolean => failedEvery > 0 && n % failedEvery === 0;
  db.transaction(() => {
    for (let i = 0; i < files; i++) {
      const id = `f${i}`;
      const size = 1000 + (i % 5000) * 1000;
      const state = failed(i) ? 'failed' : FILE_STATES[i % FILE_STATES.length]!;
      file.run(id, ['px4', 'flir', 'cam'][i % 3], `d/${i}.bin`, size, i, state, state === 'found' ? 0 : size, i, i);
      event.run(i, id, null, 'file.found', null, 'found', null);
      event.run(i, id, null, 'file.state', 'found', state, state === 'failed' ? JSON.stringify({ code: 'not-found' }) : null);
      for (const [k, t] of ['ftp', 'review'].entries()) {
        const ts = failed(i + k + 1) ? 'failed' : TARGET_STATES[(i + k * 3) % TARGET_STATES.length]!;
        target.run(id, t, ts, ts === 'uploaded' ? size : 0, i, size);
        event.run(i, id, t, 'target.state', 'pending', ts, ts === 'failed' ? JSON.stringify({ code: 'timeout' }) : null);
      }
    }
  })();
  db.close();
}

function pageSizeOf(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/**
 * `count` new files (one target each) taken through the commits a small file's life makes in the
 * pipeline, one at a time as the downloader and uploader make them; KiB this process sent to the disk
 * per file (/proc/self/io `write_bytes`).
 */
function smallFileLifeKiB(catalog: Catalog, count: number): number {
  const found = catalog.recordFoundBatch(
    Array.from({ length: count }, (_, i) => ({ identity: { sourceId: 'px4', path: `life/${i}.bin`, size: 34_000, mtimeMs: i }, targets: ['ftp'] })),
  );
  const before = ioBytes('self', 'write_bytes') ?? Number.NaN;
  for (const entry of found) {
    if ('error' in entry) throw entry.error;
    catalog.transitionFile(entry.fileId, 'downloading', { downloadOffset: 0, fingerprint: null });
    catalog.transitionFile(entry.fileId, 'staged', { sha256: 'a'.repeat(64), downloadOffset: 34_000, fingerprint: 'size+mtime' });
    catalog.completeTarget(entry.fileId, 'ftp', 'uploaded', { receipt: JSON.stringify({ location: `life/${entry.fileId}`, outcome: 'committed' }) });
  }
  return Math.round(((ioBytes('self', 'write_bytes') ?? Number.NaN) - before) / 1024 / count);
}

export default defineBenchmark({
  description:
    'Catalog.totals() (what /metrics reads at each scrape) and Catalog.counts() (what the status API reads) on a catalog of [files=50000] files, two targets each, every [failedEvery=100]-th file and target row failed: ms per call (first, median, p95 of 20); then the KiB sent to the disk per small file for its three commits, and the page size.',
  async run({ tiny, args, log }) {
    const arg = (name: string, fallback: number): number => {
      const hit = args.find((a) => a.startsWith(`${name}=`));
      return hit === undefined ? fallback : Number(hit.slice(name.length + 1));
    };
    const files = tiny ? 1000 : arg('files', 50_000);
    const failedEvery = arg('failedEvery', 100);
    const dir = await mkdtemp(join(tmpdir(), 'fs-bench-totals-'));
    try {
      const path = join(dir, 'catalog.db');
      log(`filling a catalog with ${files} files`);
      fill(path, files, failedEvery);
      const { catalog } = openCatalog(path);
      try {
        const time = (fn: () => unknown): number[] => {
          const ms: number[] = [];
          for (let i = 0; i < (tiny ? 3 : 21); i++) {
            const t0 = performance.now();
            fn();
            ms.push(performance.now() - t0);
          }
          return ms;
        };
        const totals = time(() => catalog.totals());
        const counts = time(() => catalog.counts());
        const round = (n: number): number => Math.round(n * 10) / 10;
        const failures = catalog.totals().failures.reduce((n, f) => n + f.count, 0);
        const lifeKiB = smallFileLifeKiB(catalog, tiny ? 50 : 500);
        return {
          files,
          failedEvery,
          failures,
          totalsFirstMs: round(totals[0]!),
          totalsMedianMs: round(median(totals.slice(1))),
          totalsP95Ms: round(percentile(totals.slice(1), 95)),
          countsMedianMs: round(median(counts.slice(1))),
          catalogBytes: catalog.totals().databaseBytes,
          pageSize: pageSizeOf(path),
          // Bytes sent to the disk for one small file's three commits (downloading, staged, delivered):
          // WAL frames (whole pages) and their share of checkpoints: 153 KiB with 4 KiB pages, 75 with 1 KiB.
          smallFileLifeDiskKiB: lifeKiB,
        };
      } finally {
        catalog.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
