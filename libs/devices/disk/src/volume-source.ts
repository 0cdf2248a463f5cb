import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type FilesyncError,
  type ListOptions,
  type ReadOptions,
  type Source,
  type SourceEntry,
  PermanentError,
  TransientError,
  WalkGuard,
  classifyError,
  normalizeSourcePath,
  statRegularFile,
  RealRoot,
  openRegularFile,
  openRegularFileSized,
} from '@filesync/core';
import type { ReadFailureTracker } from './read-failure-tracker';
import type { MountedDrive } from './volume-identity';

/** One positional read about to happen. */
export interface ReadRequest {
  readonly sourceId: string;
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/**
 * Awaited before every positional read. Production leaves it unset. It is the seam through which the
 * flash simulator applies its byte-exact faults: no FUSE-free simulator can see or fail another
 * process's reads, so the gate tells it where the reader is; the simulator then pulls the drive for
 * real (the read that follows fails in the file system) or answers with a slow reply. A gate that
 * throws counts as a failed read (an error with an errno `code` is classified like one from the OS).
 */
export type ReadGate = (request: ReadRequest) => void | Promise<void>;

export interface VolumeStats {
  /** Bytes handed out by `read`, over the life of this source. */
  readonly bytesRead: number;
  /** Positional reads that returned data. */
  readonly reads: number;
}

export interface VolumeSourceOptions {
  readonly sourceId: string;
  readonly drive: MountedDrive;
  /** Sub-directory of the drive to collect from ("" = the whole drive). */
  readonly dir?: string;
  readonly readChunkBytes: number;
  readonly tracker: ReadFailureTracker;
  /** Whether this drive is still the one mounted; asked after every chunk, listing step and failure. */
  readonly isPresent: () => Promise<boolean>;
  readonly canRemove?: boolean;
  readonly readGate?: ReadGate;
  /** Told when a failure showed the drive gone, so the mount watcher can look now instead of at its next poll. */
  readonly onGone?: () => void;
}

export interface VolumeChunk {
  readonly bytes: Uint8Array;
  /** The chunk reaches the end of the file (or the offset was at or past it). */
  readonly eof: boolean;
  /** The file's size when the chunk was read. */
  readonly size: number;
}

/** A mounted volume as a `Source`, plus what it knows about itself. */
export interface VolumeSource extends Source {
  readonly drive: MountedDrive;
  /** One chunk of `readChunkBytes` from `offset`, with the same failure rules as `read`. */
  readChunk(path: string, offset: number, signal?: AbortSignal): Promise<VolumeChunk>;
  stats(): VolumeStats;
}

/** What cameras and desktops leave on a card that is not a recording. */
const JUNK_DIRS = new Set(['System Volume Information', '$RECYCLE.BIN', '.Trashes', '.Spotlight-V100', '.fseventsd', '.TemporaryItems']);
const isJunkFile = (name: string): boolean => name.startsWith('._') || name === '.DS_Store';

interface Chunk {
  readonly bytes: Uint8Array;
  readonly size: number;
}

/**
 * One chunk with its own open and close: between chunks filesync holds no descriptor on the drive,
 * so an eject is never refused as busy, and a drive pulled between chunks fails the next open
 * instead of leaving a descriptor to a vanished file system.
 */
async function readChunkAt(root: RealRoot, rel: string, position: number, length: number): Promise<Chunk> {
  // Only a regular file inside the volume: not a FIFO (blocks for ever), not through a symlink.
  const { handle, size } = await openRegularFileSized(root.root, rel, undefined, root);
  try {
    if (position >= size) return { bytes: new Uint8Array(), size };
    const buffer = Buffer.allocUnsafe(Math.min(length, size - position));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    return { bytes: buffer.subarray(0, bytesRead), size };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

const errnoOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** A volume as a source. Reads are chunked positional reads; see `read` for how failures are told apart. */
export function createVolumeSource(options: VolumeSourceOptions): VolumeSource {
  const { sourceId, drive, tracker } = options;
  const root = options.dir ? join(drive.mountPoint, options.dir) : drive.mountPoint;
  const realRoot = new RealRoot(root);
  const name = drive.label ?? drive.uuid ?? drive.mountPoint;
  let bytesRead = 0;
  let reads = 0;

  const resolvePath = (path: string): { rel: string; file: string } => {
    let rel: string;
    try {
      rel = normalizeSourcePath(path);
    } catch (err) {
      throw new PermanentError('bad-request', String((err as Error).message), { detail: { path } });
    }
    return { rel, file: join(root, rel) };
  };

  const gone = (err: unknown, what: string, detail: Record<string, unknown>): TransientError => {
    options.onGone?.();
    return new TransientError('device-gone', `drive ${name} is gone (${err === undefined ? 'no longer mounted' : (errnoOf(err) ?? 'error')} ${what})`, {
      cause: err,
      detail: { sourceId, errno: errnoOf(err), ...detail },
    });
  };

  /** Failures outside a file's read: listing and removing. Not counted against any file. */
  const plainFailure = async (err: unknown, what: string, detail: Record<string, unknown>): Promise<FilesyncError> => {
    if (!(await options.isPresent())) return gone(err, what, detail);
    return classifyError(err);
  };

  /**
   * A read failed. With the drive gone (whatever the errno: EIO, ENOENT or ENODEV depending on how far
   * the kernel got in tearing the mount down) it is a transient `device-gone`, not the file's fault.
   * With the drive still present, a permanent error stands (a missing path is `not-found`), and a
   * transient one is the file's own (a bad cluster): counted, and after `maxFailures` identical ones
   * the file is given up as permanent `corrupt` with the reason.
   */
  const readFailure = async (err: unknown, path: string, offset: number): Promise<FilesyncError> => {
    if (!(await options.isPresent())) return gone(err, `reading ${path} at byte ${offset}`, { path, offset });
    const base = classifyError(err);
    const errno = errnoOf(err) ?? base.code;
    const detail = { sourceId, path, offset, errno };
    if (base.kind === 'permanent') return new PermanentError(base.code, base.message, { cause: err, detail });
    // EIO from a drive that is still there is not "device gone": name it for what it is.
    const code = base.code === 'device-gone' ? 'corrupt' : base.code;
    const reason = new TransientError(code, `reading ${path} at byte ${offset} failed: ${errno}`, { cause: err, detail });
    const run = tracker.record(sourceId, path, offset, reason.toData());
    if (run.failed) {
      return new PermanentError('corrupt', `${path} failed to read ${run.attempts} times at byte ${offset} (${errno}); given up`, {
        cause: err,
        detail: { ...detail, attempts: run.attempts },
      });
    }
    return new TransientError(code, `${reason.message} (attempt ${run.attempts} of ${tracker.maxFailures})`, {
      cause: err,
      detail: { ...detail, attempts: run.attempts },
    });
  };

  /** One chunk from `offset`, and whether it reached the end; the unit a read and the actor both use. */
  async function readChunk(path: string, offset: number, signal?: AbortSignal): Promise<VolumeChunk> {
    const { rel } = resolvePath(path);
    const position = Math.max(0, Math.trunc(offset));
    signal?.throwIfAborted();
    let chunk: Chunk;
    try {
      await options.readGate?.({ sourceId, path: rel, offset: position, length: options.readChunkBytes });
      chunk = await readChunkAt(realRoot, rel, position, options.readChunkBytes);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw await readFailure(err, rel, position);
    }
    // Checked after the read, so the bytes are known to come from this volume: another card with
    // the same file names may sit at the same mount point by now, and its bytes are not ours.
    if (!(await options.isPresent())) throw gone(undefined, `reading ${rel} at byte ${position}`, { path: rel, offset: position });
    const eof = chunk.bytes.length === 0 || position + chunk.bytes.length >= chunk.size;
    if (eof) tracker.clear(sourceId, rel);
    if (chunk.bytes.length > 0) {
      bytesRead += chunk.bytes.length;
      reads += 1;
    }
    return { bytes: chunk.bytes, eof, size: chunk.size };
  }

  async function* read(path: string, offset: number, readOptions?: ReadOptions): AsyncGenerator<Uint8Array> {
    for (let position = Math.max(0, Math.trunc(offset)); ; ) {
      const chunk = await readChunk(path, position, readOptions?.signal);
      position += chunk.bytes.length;
      if (chunk.bytes.length > 0) yield chunk.bytes;
      if (chunk.eof) return;
    }
  }

  /**
   * Sorted, depth first. A directory below the root that cannot be listed (the drive still there) is
   * a problem and the walk goes on; the drive gone ends the listing. Symlinks are not entries and
   * not followed; a directory met again (by device and inode) is a cycle.
   */
  async function* walk(guard: WalkGuard, dir: string, prefix: string, ancestors: ReadonlyMap<string, string>): AsyncGenerator<SourceEntry> {
    let names;
    let inside: ReadonlyMap<string, string> | undefined;
    try {
      inside = await guard.enterLocal(dir, prefix, ancestors);
      if (inside === undefined) return;
      names = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const failure = await plainFailure(err, `listing ${prefix || '/'}`, { path: prefix });
      // The configured sub-directory not (yet) on the card, or a directory deleted while we walk.
      if (failure.code === 'not-found') return;
      if (prefix === '' || failure.code === 'device-gone') throw failure;
      guard.report({ path: prefix, scope: 'tree', reason: failure.message });
      return;
    }
    // As for reads: names listed from another card at the same mount point are not this volume's.
    if (!(await options.isPresent())) throw gone(undefined, `listing ${prefix || '/'}`, { path: prefix });
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of names) {
      if (!guard.counted()) return;
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        if (prefix === '' && JUNK_DIRS.has(entry.name)) continue;
        if (guard.mayEnter(rel, inside.size)) yield* walk(guard, join(dir, entry.name), rel, inside);
      } else if (entry.isFile() && !isJunkFile(entry.name)) {
        let st;
        try {
          st = await lstat(join(dir, entry.name));
        } catch (err) {
          const failure = await plainFailure(err, `listing ${rel}`, { path: rel });
          if (failure.code === 'not-found') continue;
          if (failure.code === 'device-gone') throw failure;
          guard.report({ path: rel, scope: 'entry', reason: failure.message });
          continue;
        }
        // Swapped for a symlink or something else since readdir: not a file of this volume now.
        if (st.isFile()) yield { path: rel, size: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
      }
    }
  }

  const canRemove = options.canRemove ?? true;
  const base = {
    id: sourceId,
    drive,
    features: { canResume: true, canRemove, hashes: [], parallelism: 1, identity: 'fingerprint' as const },
    list: (listOptions?: ListOptions) => walk(new WalkGuard(listOptions?.onProblem ?? (() => undefined)), root, '', new Map()),
    read,
    readChunk,
    stats: (): VolumeStats => ({ bytesRead, reads }),
    async stat(path: string) {
      const { rel, file } = resolvePath(path);
      let st;
      try {
        st = await statRegularFile(file, rel);
      } catch (err) {
        throw await plainFailure(err, `looking at ${rel}`, { path: rel });
      }
      // As for reads: a file seen on another card at the same mount point is not this volume's version.
      if (!(await options.isPresent())) throw gone(undefined, `looking at ${rel}`, { path: rel });
      return st;
    },
    close: async () => undefined,
  };
  if (!canRemove) return base satisfies VolumeSource;
  return {
    ...base,
    async remove(path: string) {
      const { rel, file } = resolvePath(path);
      // Never delete by name from a card that is not this volume (same names, other pictures).
      if (!(await options.isPresent())) throw gone(undefined, `removing ${rel}`, { path: rel });
      try {
        // Never through a symlink (the file or a directory on its way swapped for one since the listing).
        const handle = await openRegularFile(root, rel);
        await handle.close();
        await unlink(file);
      } catch (err) {
        throw await plainFailure(err, `removing ${rel}`, { path: rel });
      }
    },
  } satisfies VolumeSource;
}
