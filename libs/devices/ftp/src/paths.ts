import { PermanentError, normalizeSourcePath } from '@filesync/core';

/**
 * Joins the login directory, the configured directory and a relative file path into an absolute
 * server path. Paths are sent as absolute so no command depends on the working directory (basic-ftp's
 * `ensureDir` changes it; we never do).
 */
export function remotePath(home: string, dir: string, path: string): string {
  let rel: string;
  try {
    rel = normalizeSourcePath(path);
  } catch {
    throw new PermanentError('bad-request', `path escapes its root: ${path}`, { detail: { path } });
  }
  // CR or LF would end the FTP command early and let a file name inject another command.
  if (/[\r\n\0]/.test(rel)) throw new PermanentError('bad-request', `path holds a control character: ${JSON.stringify(path)}`);
  return [home.replace(/\/+$/, ''), dir, rel].filter((p) => p !== '').join('/').replace(/^(?!\/)/, '/');
}

export function parentOf(absPath: string): string {
  const slash = absPath.lastIndexOf('/');
  return slash <= 0 ? '/' : absPath.slice(0, slash);
}

export function relativeTo(root: string, absPath: string): string {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return absPath.startsWith(prefix) ? absPath.slice(prefix.length) : absPath.replace(/^\/+/, '');
}
