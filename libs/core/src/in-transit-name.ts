import { createHash } from 'node:crypto';

/** The longest file name (one path component) in bytes on the file systems and FTP servers we meet (ext4, XFS, NTFS, vsftpd). */
export const MAX_NAME_BYTES = 255;

/**
 * The name a target writes a file under until it is complete: `name` + `suffix` (`flight.ulg.part`)
 * when that fits in MAX_NAME_BYTES, else a short hidden name in the same directory derived from the
 * final name (`.<16 hex of its sha256>` + `suffix`), so a 255-byte name is not refused only because
 * of the suffix. Deterministic, so after a crash the same call finds the leftover to resume or clean.
 */
export function inTransitPath(finalPath: string, suffix: string): string {
  const slash = finalPath.lastIndexOf('/');
  const dir = finalPath.slice(0, slash + 1);
  const name = finalPath.slice(slash + 1);
  if (Buffer.byteLength(name + suffix, 'utf8') <= MAX_NAME_BYTES) return finalPath + suffix;
  return `${dir}.${createHash('sha256').update(name).digest('hex').slice(0, 16)}${suffix}`;
}
