import { type Source, type SourceStat, classifyError } from '@filesync/core';
import type { FileRecord } from '@filesync/store';

/**
 * What the file at a record's path is now, compared with the version the record stands for:
 * - `same`: every proof the device offers agrees (size, mtime, and its fingerprint where it has one);
 * - `changed`: another version is there (`reason` says which proof differs; `sameIdentity` when size
 *   and mtime still match, so only the fingerprint or the device checksum could tell; then `proof` is
 *   the new version's fingerprint or `hash:value` checksum, which tells it apart from the recorded one);
 * - `gone`: nothing at the path;
 * - `unprovable`: the device cannot tell (it has no `stat`), so the answer must count as "not the same".
 */
export type VersionCheck =
  | { readonly kind: 'same'; readonly stat: SourceStat }
  | { readonly kind: 'changed'; readonly reason: string; readonly sameIdentity: boolean; readonly stat: SourceStat; readonly proof?: string }
  | { readonly kind: 'gone' }
  | { readonly kind: 'unprovable'; readonly reason: string };

type Version = Pick<FileRecord, 'path' | 'size' | 'mtimeMs' | 'fingerprint' | 'deviceChecksum'>;

/**
 * The one identity rule (docs/identity.md): the file at `version.path` is that version only if its
 * size and mtime are unchanged and, where the device offers them, its fingerprint (taken when the
 * download began) and, with `checksum`, its device checksum (recorded when staged) are too.
 * Transient device errors are thrown: no answer is not an answer.
 */
export async function checkVersion(source: Source, version: Version, options: { checksum?: boolean } = {}): Promise<VersionCheck> {
  if (!source.stat) return { kind: 'unprovable', reason: `${source.id} cannot tell which version of a file it holds` };
  let stat: SourceStat;
  try {
    stat = await source.stat(version.path);
  } catch (err) {
    if (classifyError(err).code === 'not-found') return { kind: 'gone' };
    throw err;
  }
  const changed = (reason: string, sameIdentity: boolean, proof?: string): VersionCheck => ({ kind: 'changed', reason, sameIdentity, stat, ...(proof === undefined ? {} : { proof }) });
  if (stat.size !== version.size) return changed(`size is ${stat.size}, was ${version.size}`, false);
  if (Math.trunc(stat.mtimeMs) !== Math.trunc(version.mtimeMs)) return changed(`mtime is ${Math.trunc(stat.mtimeMs)}, was ${version.mtimeMs}`, false);
  if (version.fingerprint !== null && stat.fingerprint !== version.fingerprint) {
    return changed('same size and mtime, but replaced or rewritten (fingerprint differs)', true, stat.fingerprint);
  }
  if (options.checksum === true && version.deviceChecksum !== null && source.checksum) {
    const colon = version.deviceChecksum.indexOf(':');
    const hash = source.features.hashes.find((h) => h === version.deviceChecksum?.slice(0, colon));
    const recorded = version.deviceChecksum.slice(colon + 1);
    if (hash !== undefined) {
      const now = await source.checksum(version.path, hash);
      if (now !== recorded) return changed(`same size and mtime, but ${hash} is ${now}, was ${recorded}`, true, `${hash}:${now}`);
    }
  }
  return { kind: 'same', stat };
}
