import { constants } from 'node:fs';
import { join, sep } from 'node:path';
import { PermanentError, classifyError } from './errors';
import { type FsCalls, type FsFileHandle, type FsStats, nodeFsCalls } from './fs-calls';

/** What a non-regular file is, in words for a reason. */
function kindOf(st: FsStats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symlink';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

const notRegular = (rel: string, what: string): PermanentError =>
  new PermanentError('unsupported', `${rel} is ${what}, not a regular file: not read`, { detail: { path: rel, what } });

/**
 * Opens `rel` below `root` for reading only if it is a regular file inside the root, whatever was
 * swapped in after the listing: no symlink is followed (O_NOFOLLOW), a FIFO or device cannot block
 * the open (O_NONBLOCK) and is refused after fstat, and a parent directory swapped for a symlink
 * that leads out of the root is refused (the open file's real path, from /proc, must lie under the
 * root's). A refusal is a `PermanentError` naming the path and what it is; other failures are
 * classified as usual (a missing file is `not-found`). `fs` is node's outside unit tests; an in-memory
 * one has no /proc, so the parent-swap check is skipped there and proven on real disks only.
 */
export async function openRegularFile(
  root: string,
  rel: string,
  fs: Pick<FsCalls, 'open' | 'readlink' | 'realpath'> = nodeFsCalls,
): Promise<FsFileHandle> {
  let handle: FsFileHandle;
  try {
    handle = await fs.open(join(root, rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ELOOP') throw notRegular(rel, 'a symlink');
    throw classifyError(err);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw notRegular(rel, kindOf(st));
    const real = await fs.readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
    if (real !== undefined) {
      const realRoot = await fs.realpath(root);
      if (!real.startsWith(realRoot === sep ? sep : `${realRoot}${sep}`)) {
        throw new PermanentError('permission', `${rel} resolves to ${real}, outside the source ${realRoot} (a directory on its way is a symlink): not read`, {
          detail: { path: rel, real },
        });
      }
    }
    return handle;
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw classifyError(err);
  }
}
