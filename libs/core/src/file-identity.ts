import { createHash } from 'node:crypto';

/**
 * A file's identity: (source id, path, size, mtime). A changed size or mtime is a new version,
 * and a flash drive's source id carries its volume UUID, so two cards with the same names differ.
 */
export interface FileIdentity {
  readonly sourceId: string;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** A stable 32-hex-digit id for a file version, used as its catalog key and staging name. */
export function fileId(identity: FileIdentity): string {
  const mtime = Math.trunc(identity.mtimeMs);
  return createHash('sha256')
    .update(`${identity.sourceId}\u0000${identity.path}\u0000${identity.size}\u0000${mtime}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * Source paths are POSIX-style, relative to the source root, without leading `/` or `..` parts.
 * Only `/` separates: on a POSIX source `\` is part of a file name (`x\y.txt` is one file, never
 * `x/y.txt`), so a name reaches every target as it is, or fails there with the target's reason.
 */
export function normalizeSourcePath(path: string): string {
  const parts = path.split(/\/+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`path escapes its root: ${path}`);
  return parts.join('/');
}

/**
 * A source's catalog id is its config id, optionally followed by `:` and an instance — a flash drive's
 * volume UUID (`flir:1234-ABCD`). Config ids cannot contain `:`, so the config id is what precedes it.
 */
export function configIdOfSource(sourceId: string): string {
  const colon = sourceId.indexOf(':');
  return colon < 0 ? sourceId : sourceId.slice(0, colon);
}
