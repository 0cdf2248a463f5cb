import { PermanentError } from '@filesync/core';

/**
 * Splits a relative file path into its names. Names are never rewritten: `\`, `%`, `#`, `?` and any
 * Unicode are ordinary characters of a name (percent-encoded on the wire by `urlOf`). A name that
 * cannot be one (`..`, which would climb out of the target's folder, or a NUL) fails with a reason.
 */
export function segmentsOf(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) throw new PermanentError('bad-request', `not a file path: ${JSON.stringify(path)}`, { detail: { path } });
  if (parts.includes('..')) throw new PermanentError('bad-request', `path escapes its root: ${JSON.stringify(path)}`, { detail: { path } });
  if (parts.some((p) => p.includes('\0'))) throw new PermanentError('bad-request', `path holds a NUL character: ${JSON.stringify(path)}`, { detail: { path } });
  return parts;
}

/**
 * The URL of a path below `base` (a collection URL ending in `/`). Each name is percent-encoded as a
 * whole (encodeURIComponent leaves only `A-Za-z0-9-_.!~*'()` as they are), so a `%`, `#` or `?` in a
 * name reaches the server as that character and `/` is the only separator; `.` and `..` never get here.
 */
export function urlOf(base: URL, segments: readonly string[], trailingSlash = false): URL {
  const encoded = segments.map((s) => encodeURIComponent(s)).join('/');
  return new URL(`${base.pathname}${encoded}${trailingSlash ? '/' : ''}`, base);
}
