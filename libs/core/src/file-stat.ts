import { PermanentError } from './errors';
import type { SourceStat } from './source';
import { type FsCalls, nodeFsCalls } from './fs-calls';

/**
 * The version of a regular file on a local file system (a directory source, a mounted drive). The
 * fingerprint is device, inode, ctime, size and mtime in nanoseconds: a rename over the path gives
 * another inode, and a rewrite in place moves ctime (which no user call can set back), so a
 * replacement with the same size and mtime still changes it. Not a regular file (a symlink, a FIFO
 * put in its place): `not-found`, for no such file is there to read or remove.
 */
export async function statRegularFile(file: string, path: string, fs: Pick<FsCalls, 'lstat'> = nodeFsCalls): Promise<SourceStat> {
  const st = await fs.lstat(file, { bigint: true });
  if (!st.isFile()) throw new PermanentError('not-found', `${path} is no longer a regular file`, { detail: { path } });
  return {
    size: Number(st.size),
    mtimeMs: Math.trunc(Number(st.mtimeMs)),
    fingerprint: `${st.dev}:${st.ino}:${st.ctimeNs}:${st.size}:${st.mtimeNs}`,
  };
}
