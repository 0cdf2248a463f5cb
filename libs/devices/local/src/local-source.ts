import { join } from 'node:path';
import {
  type FsCalls,
  type HashName,
  type ListOptions,
  type ReadOptions,
  type Source,
  type SourceEntry,
  nodeFsCalls,
  WalkGuard,
  normalizeSourcePath,
  RealRoot,
  statRegularFile,
  openRegularFileSized,
} from '@filesync/core';
import { classified, classify, notFound } from './errors';
import { hashFile } from './hash-file';
import { readChunks } from './read-chunks';

/**
 * The file-system calls the source makes: node's, or an in-memory one in unit tests. memfs has no
 * FIFOs, no permissions that stop root and no /proc (the check that a parent swapped for a symlink
 * does not lead out of the source), so those are proven on real disks (safe-source.spec.ts).
 */
export type SourceFs = Pick<FsCalls, 'lstat' | 'open' | 'opendir' | 'readlink' | 'realpath' | 'unlink'>;

export interface LocalSourceOptions {
  readonly id: string;
  readonly dir: string;
  /** node's file system unless a unit test hands in another. */
  readonly fs?: SourceFs;
}

/**
 * lstats of one directory's files in flight at once during a listing: no more than libuv's pool has
 * threads (4), so a listing never queues the pool's other work (staging writes, reads) behind it.
 */
const LSTATS_AT_ONCE = 4;

/** A plain directory as a source: the reference device for the conformance suite. */
export function createLocalSource(options: LocalSourceOptions): Source {
  const fs = options.fs ?? nodeFsCalls;
  const resolvePath = (path: string): string => join(options.dir, normalizeSourcePath(path));
  const realRoot = new RealRoot(options.dir, fs);
  const openFile = (path: string) => openRegularFileSized(options.dir, normalizeSourcePath(path), fs, realRoot);

  /**
   * Depth first, one directory open at a time. A directory below the root that cannot be listed is
   * a problem and the walk goes on; symlinks are never followed (they are not entries), and a
   * directory met again (a bind mount inside itself) is a cycle, by device and inode.
   */
  async function* walk(guard: WalkGuard, dir: string, prefix: string, ancestors: ReadonlyMap<string, string>): AsyncGenerator<SourceEntry> {
    let entries;
    let inside: ReadonlyMap<string, string> | undefined;
    try {
      inside = await guard.enterLocal(dir, prefix, ancestors, fs);
      if (inside === undefined) return;
      entries = await fs.opendir(dir);
    } catch (err) {
      if (prefix === '') throw classify(err);
      guard.report({ path: prefix, scope: 'tree', reason: classify(err).message });
      return;
    }
    /** Files met in this directory whose lstat is not in yet, in readdir order. */
    const files: string[] = [];
    /**
     * lstat: a file swapped for a symlink since readdir is not listed; one deleted is simply not listed this time.
     * bigint, as `stat` (statRegularFile) reads it: a number's mtimeMs is rounded (…188.9999 ms comes
     * out 189), so the listing and the downloader's check disagreed by 1 ms on such files and the
     * file went back to `found` at every step, for ever (seen in the pipeline bench, ~1 in 2,000 files).
     * A few side by side, yielded in order: one at a time, each awaited, cost the link thread about
     * twice the CPU per file at every listing (a listing runs every poll while a backlog lasts).
     */
    async function* statFiles(): AsyncGenerator<SourceEntry> {
      const names = files.splice(0);
      const stats = await Promise.all(names.map((name) => fs.lstat(join(dir, name), { bigint: true }).catch(() => undefined)));
      for (let i = 0; i < names.length; i++) {
        const st = stats[i];
        if (st?.isFile()) yield { path: prefix === '' ? names[i]! : `${prefix}/${names[i]!}`, size: Number(st.size), mtimeMs: Number(st.mtimeMs) };
      }
    }
    try {
      for await (const entry of entries) {
        if (!guard.counted()) break;
        const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
        if (entry.isDirectory()) {
          // The files before it first: the walk stays in readdir order, depth first.
          yield* statFiles();
          if (guard.mayEnter(rel, inside.size)) yield* walk(guard, join(dir, entry.name), rel, inside);
        } else if (entry.isFile()) {
          files.push(entry.name);
          if (files.length >= LSTATS_AT_ONCE) yield* statFiles();
        }
      }
      yield* statFiles();
    } catch (err) {
      // Reading the directory failed part way (EIO): what was not read is not seen; what was, is.
      yield* statFiles();
      if (prefix === '') throw classify(err);
      guard.report({ path: prefix, scope: 'tree', reason: classify(err).message });
    }
  }

  const source = {
    id: options.id,
    features: { canResume: true, canRemove: true, hashes: ['sha256'] as HashName[], parallelism: 2, identity: 'fingerprint' as const },
    list: (listOptions?: ListOptions) => walk(new WalkGuard(listOptions?.onProblem ?? (() => undefined)), options.dir, '', new Map()),
    read: (path: string, offset: number, readOptions?: ReadOptions) =>
      readChunks(() => openFile(path), offset, readOptions),
    checksum: async (path: string, hash: HashName) => {
      if (hash !== 'sha256') throw notFound(`${path} (hash ${hash} is not offered)`);
      return hashFile(() => openFile(path));
    },
    remove: (path: string) =>
      classified(async () => {
        // Never through a symlink: a listed file since swapped for one, or a directory on the way swapped for one.
        const { handle } = await openFile(path);
        await handle.close();
        await fs.unlink(resolvePath(path));
      }),
    stat: (path: string) => classified(() => statRegularFile(resolvePath(path), path, fs)),
    close: async () => undefined,
  } satisfies Source;
  return source;
}
