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

/** A file opened for reading with the size fstat gave at the open (so a reader need not ask again). */
export interface OpenedFile {
  readonly handle: FsFileHandle;
  readonly size: number;
}

/**
 * A source root's real path, resolved once and again only when an opened file seems to lie outside
 * it (the root itself moved, e.g. a symlink an operator re-pointed): realpath walks every component
 * of the root, and it was asked at every open (twice per file downloaded: the read and the checksum).
 * A file inside the root as first resolved is inside the source as configured; anything else is
 * judged against the root's real path now, as before.
 */
export class RealRoot {
  private known: Promise<string> | undefined;

  constructor(
    readonly root: string,
    private readonly fs: Pick<FsCalls, 'realpath'> = nodeFsCalls,
  ) {}

  /** The real path as last resolved (resolving it the first time). */
  current(): Promise<string> {
    return (this.known ??= this.resolve());
  }

  /** Resolves it again, now. */
  resolve(): Promise<string> {
    const fresh = this.fs.realpath(this.root);
    // A failed resolution is not kept: the next open asks again.
    this.known = fresh.catch((err: unknown) => {
      this.known = undefined;
      throw err;
    });
    return this.known;
  }
}

const isUnder = (real: string, realRoot: string): boolean => real.startsWith(realRoot === sep ? sep : `${realRoot}${sep}`);

/**
 * Opens `rel` below `root` for reading only if it is a regular file inside the root, whatever was
 * swapped in after the listing: no symlink is followed (O_NOFOLLOW), a FIFO or device cannot block
 * the open (O_NONBLOCK) and is refused after fstat, and a parent directory swapped for a symlink
 * that leads out of the root is refused (the open file's real path, from /proc, must lie under the
 * root's). A refusal is a `PermanentError` naming the path and what it is; other failures are
 * classified as usual (a missing file is `not-found`). `fs` is node's outside unit tests; an in-memory
 * one has no /proc, so the parent-swap check is skipped there and proven on real disks only.
 * `realRoot`: the root's real path kept across opens (see `RealRoot`); without it, resolved at this open.
 */
export async function openRegularFile(
  root: string,
  rel: string,
  fs: Pick<FsCalls, 'open' | 'readlink' | 'realpath'> = nodeFsCalls,
  realRoot?: RealRoot,
): Promise<FsFileHandle> {
  return (await openRegularFileSized(root, rel, fs, realRoot)).handle;
}

/** `openRegularFile`, with the size the open's fstat gave. */
export async function openRegularFileSized(
  root: string,
  rel: string,
  fs: Pick<FsCalls, 'open' | 'readlink' | 'realpath'> = nodeFsCalls,
  realRoot: RealRoot = new RealRoot(root, fs),
): Promise<OpenedFile> {
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
    // The open file's own path, not the name it was opened by: a directory on the way swapped for a
    // symlink after the listing shows here, whatever the root's real path was resolved from.
    const real = await fs.readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
    if (real !== undefined) {
      let rootNow = await realRoot.current();
      if (!isUnder(real, rootNow)) rootNow = await realRoot.resolve();
      if (!isUnder(real, rootNow)) {
        throw new PermanentError('permission', `${rel} resolves to ${real}, outside the source ${rootNow} (a directory on its way is a symlink): not read`, {
          detail: { path: rel, real },
        });
      }
    }
    return { handle, size: st.size };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw classifyError(err);
  }
}
