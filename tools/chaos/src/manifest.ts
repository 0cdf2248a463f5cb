import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { targetPathOf } from '@filesync/pipeline';
import type { SourceInfo } from './world';

export interface ManifestEntry {
  readonly source: SourceInfo;
  /** Path on the source, as the catalog keeps it. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** Where a manifest file lands on a target, relative to its root: the world's routes keep the default `{source}/{path}`. */
export const targetRel = (entry: ManifestEntry): string => targetPathOf('{source}/{path}', entry.source.catalogId, entry.path);

/** Every routed source file before the run, keyed by `catalogId NUL path`. */
export type Manifest = ReadonlyMap<string, ManifestEntry>;

export const manifestKey = (catalogId: string, path: string): string => `${catalogId}\u0000${path}`;

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Relative paths of the regular files below `root` (a missing root is empty). */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    if (depth > 16) return;
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p, depth + 1);
      else if (e.isFile()) out.push(relative(root, p));
    }
  };
  await walk(root, 0);
  return out;
}

/** Reads every source's files (sizes and sha256) before the agent first starts. */
export async function takeManifest(sources: readonly SourceInfo[]): Promise<Map<string, ManifestEntry>> {
  const out = new Map<string, ManifestEntry>();
  for (const source of sources) await readSourceInto(out, source);
  return out;
}

/**
 * Reads `source`'s files into `manifest` again: a file written or changed since (a log PX4 closed while
 * the agent ran) is expected as it is now. Returns how many entries it added or changed.
 */
export async function readSourceInto(manifest: Map<string, ManifestEntry>, source: SourceInfo): Promise<number> {
  const dir = source.dirs[0]!;
  let changed = 0;
  for (const path of (await listFiles(dir)).filter(source.keep)) {
    const file = join(dir, path);
    const entry = { source, path, size: (await stat(file)).size, sha256: await sha256File(file) };
    const key = manifestKey(source.catalogId, path);
    if (manifest.get(key)?.sha256 === entry.sha256) continue;
    manifest.set(key, entry);
    changed++;
  }
  return changed;
}

/** Where a source file currently is on its source, if anywhere (a pulled card's files are in its backing directory). */
export async function findOnSource(entry: ManifestEntry): Promise<string | undefined> {
  for (const dir of entry.source.dirs) {
    const p = join(dir, entry.path);
    if (await stat(p).then((s) => s.isFile(), () => false)) return p;
  }
  return undefined;
}
