import type { Catalog, FileRecord } from '@filesync/store';
import { type Manifest, manifestKey } from './manifest';

/** The newest catalog row of each (source, path). */
export function latestRows(catalog: Catalog): Map<string, FileRecord> {
  const out = new Map<string, FileRecord>();
  for (const file of catalog.listFiles()) {
    const key = manifestKey(file.sourceId, file.path);
    const seen = out.get(key);
    if (!seen || seen.foundAt <= file.foundAt) out.set(key, file);
  }
  return out;
}

/** How many manifest files the catalog has at their end state: delivered under copy, removed under move. */
export function deliveredCount(catalog: Catalog, manifest: Manifest): number {
  const rows = latestRows(catalog);
  let done = 0;
  for (const [key, entry] of manifest) {
    const row = rows.get(key);
    if (row?.state === (entry.source.policy === 'move' ? 'removed' : 'delivered')) done++;
  }
  return done;
}
