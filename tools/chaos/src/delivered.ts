import type { Catalog, FileRecord } from '@filesync/store';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Manifest, type ManifestEntry, manifestKey } from './manifest';

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
  return deliveredIn(latestRows(catalog), manifest);
}

/** {@link deliveredCount} on rows already read. */
export function deliveredIn(rows: ReadonlyMap<string, FileRecord>, manifest: Manifest): number {
  let done = 0;
  for (const [key, entry] of manifest) {
    const row = rows.get(key);
    if (row?.state === (entry.source.policy === 'move' ? 'removed' : 'delivered')) done++;
  }
  return done;
}

/**
 * `move` files a wiped catalog no longer knows (no row at all), already gone from their source and on
 * every routed target at full size: nothing will ever record them again, so a delivery wait that
 * counted only catalog rows would never end. `targetFile` maps an entry and a target to the file there.
 */
export function forgottenCount(rows: ReadonlyMap<string, FileRecord>, manifest: Manifest, targetFile: (entry: ManifestEntry, target: string) => string): number {
  let n = 0;
  for (const [key, entry] of manifest) {
    if (entry.source.policy !== 'move' || rows.has(key)) continue;
    if (entry.source.dirs.some((d) => existsSync(join(d, entry.path)))) continue;
    const size = (file: string): number | undefined => (existsSync(file) ? statSync(file).size : undefined);
    if (entry.source.targets.every((t) => size(targetFile(entry, t)) === entry.size)) n++;
  }
  return n;
}
