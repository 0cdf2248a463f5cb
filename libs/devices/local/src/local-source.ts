import { opendir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type HashName,
  type ReadOptions,
  type Source,
  type SourceEntry,
  hashStream,
  normalizeSourcePath,
  statRegularFile,
} from '@filesync/core';
import { classified, notFound } from './errors';
import { readChunks } from './read-chunks';

export interface LocalSourceOptions {
  readonly id: string;
  readonly dir: string;
}

/** A plain directory as a source: the reference device for the conformance suite. */
export function createLocalSource(options: LocalSourceOptions): Source {
  const resolvePath = (path: string): string => join(options.dir, normalizeSourcePath(path));

  async function* walk(dir: string, prefix: string): AsyncGenerator<SourceEntry> {
    const entries = await classified(() => opendir(dir));
    for await (const entry of entries) {
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        yield* walk(join(dir, entry.name), rel);
      } else if (entry.isFile()) {
        // A file deleted between readdir and stat is simply not listed this time.
        const st = await stat(join(dir, entry.name)).catch(() => undefined);
        if (st?.isFile()) yield { path: rel, size: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
      }
    }
  }

  const source = {
    id: options.id,
    features: { canResume: true, canRemove: true, hashes: ['sha256'] as HashName[], parallelism: 2, identity: 'fingerprint' as const },
    list: () => walk(options.dir, ''),
    read: (path: string, offset: number, readOptions?: ReadOptions) =>
      readChunks(resolvePath(path), offset, readOptions?.signal ? { signal: readOptions.signal } : {}),
    checksum: async (path: string, hash: HashName) => {
      if (hash !== 'sha256') throw notFound(`${path} (hash ${hash} is not offered)`);
      return hashStream(hash, readChunks(resolvePath(path), 0));
    },
    remove: (path: string) => classified(() => unlink(resolvePath(path))),
    stat: (path: string) => classified(() => statRegularFile(resolvePath(path), path)),
    close: async () => undefined,
  } satisfies Source;
  return source;
}
