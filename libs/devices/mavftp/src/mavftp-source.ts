import { type HashName, type ListOptions, PermanentError, type ReadOptions, type Source, type SourceEntry, WalkGuard } from '@filesync/core';
import { connectMavftp, type ConnectOptions } from './connect';
import { classify } from './errors';
import type { MavftpClient, ReadFileOptions } from './ftp-client';

export interface MavftpSourceOptions extends Omit<ConnectOptions, 'signal'> {
  readonly id: string;
  /** Log directory on the vehicle (`/fs/microsd/log`; newer PX4 also serves `@MAV_LOG`). */
  readonly logDir?: string;
}

export interface MavftpSource extends Source {
  /** The connected client (for the CLI and status); connects on first use. */
  client(): Promise<MavftpClient>;
  /** The connected client's smoothed request round trip (ms); undefined until it has measured one. */
  roundTripMs(): number | undefined;
  /** `read` with arming pauses reported (`onPause(true)` when a transfer waits for disarm). */
  readWithPause(path: string, offset: number, options: ReadFileOptions): AsyncIterable<Uint8Array>;
}

/**
 * PX4 logs over MAVLink FTP as a `Source`: lists the log directory recursively, reads from an
 * offset (burst + gap fill, resumes after reboots), offers PX4's CRC-32, removes on request.
 * The link opens lazily on first use and is owned by this source alone.
 */
export function createMavftpSource(options: MavftpSourceOptions): MavftpSource {
  const logDir = (options.logDir ?? '/fs/microsd/log').replace(/\/+$/, '');
  let connecting: Promise<MavftpClient> | undefined;
  /** The client last connected, read by `roundTripMs` without waiting for (or starting) a connect. */
  let connected: MavftpClient | undefined;
  const connect = (): Promise<MavftpClient> => {
    connecting ??= connectMavftp(options).then(
      (c) => (connected = c),
      (err: unknown) => {
        connecting = undefined;
        throw classify(err);
      },
    );
    return connecting;
  };
  const client = async (): Promise<MavftpClient> => {
    // A dead transport (USB unplugged, port closed) is replaced on the next call, so the
    // pipeline's retry finds the autopilot again once it is back.
    const pending = connect();
    const c = await pending;
    if (!c.link.error || typeof options.link !== 'string') return c;
    if (connecting === pending) {
      connecting = undefined;
      await c.link.close().catch(() => undefined);
    }
    return connect();
  };
  const vehiclePath = (path: string): string => {
    if (path.split('/').includes('..')) throw new PermanentError('bad-request', `${path}: ".." is not allowed`);
    return `${logDir}/${path.replace(/^\/+/, '')}`;
  };

  /**
   * Depth first. `.` and `..` are never walked (PX4 sends them as skip entries; a server that lists
   * them as directories would make the walk endless) and a name with a `/` is not a name. A directory
   * below the log root the vehicle refuses (FileNotFound, a NAK) is a problem and the walk goes on; a
   * fault of the link ends the listing.
   */
  async function* walk(guard: WalkGuard, c: MavftpClient, dir: string, rel: string, depth: number): AsyncGenerator<SourceEntry> {
    let entries;
    try {
      entries = await c.listDirectory(dir);
    } catch (err) {
      const failure = classify(err, dir);
      if (depth === 0 || failure.kind === 'transient') throw failure;
      guard.report({ path: rel, scope: 'tree', reason: failure.message });
      return;
    }
    for (const e of entries) {
      if (!guard.counted()) return;
      if (e.name === '.' || e.name === '..') continue;
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.name === '' || e.name.includes('/')) {
        guard.report({ path, scope: 'entry', reason: `"${e.name}" is not a file name: left out` });
        continue;
      }
      if (e.kind === 'dir') {
        if (guard.mayEnter(path, depth + 1)) yield* walk(guard, c, `${dir}/${e.name}`, path, depth + 1);
      } else yield { path, size: e.size, mtimeMs: e.mtimeSec * 1000 };
    }
  }

  const source: MavftpSource = {
    id: options.id,
    features: { canResume: true, canRemove: true, hashes: ['mavlink-crc32'], parallelism: 1, identity: 'size-mtime' },
    client,
    roundTripMs: () => connected?.stats.srttMs,

    /**
     * Every file, the open log too: PX4 logs from boot until the first disarm and while armed, so its
     * newest log grows. Whether a file is still being written is the pipeline's one rule (`settleSec`:
     * a version is taken once it was listed unchanged that long), not the device's; until then the
     * log shows as settling with its size, and while armed the read itself waits for disarm.
     */
    async *list(listOptions?: ListOptions) {
      let c: MavftpClient;
      try {
        c = await client();
        yield* walk(new WalkGuard(listOptions?.onProblem ?? (() => undefined)), c, logDir, '', 0);
      } catch (err) {
        throw classify(err, logDir);
      }
    },

    read(path: string, offset: number, readOptions?: ReadOptions) {
      return source.readWithPause(path, offset, readOptions?.signal ? { signal: readOptions.signal } : {});
    },

    async *readWithPause(path: string, offset: number, readOptions: ReadFileOptions) {
      const full = vehiclePath(path);
      try {
        const c = await client();
        yield* c.readFile(full, offset, readOptions);
      } catch (err) {
        throw classify(err, full);
      }
    },

    async checksum(path: string, hash: HashName) {
      if (hash !== 'mavlink-crc32') throw new PermanentError('unsupported', `${hash}: the autopilot computes only mavlink-crc32`);
      const full = vehiclePath(path);
      try {
        const c = await client();
        return (await c.crc32(full)).toString(16).padStart(8, '0');
      } catch (err) {
        throw classify(err, full);
      }
    },

    /** The file's entry in a fresh listing of its directory (size, and mtime where PX4 lists one); its CRC32 is `checksum`. */
    async stat(path: string) {
      const full = vehiclePath(path);
      const slash = full.lastIndexOf('/');
      const name = full.slice(slash + 1);
      let entries;
      try {
        entries = await (await client()).listDirectory(full.slice(0, slash));
      } catch (err) {
        throw classify(err, full);
      }
      const entry = entries.find((e) => e.kind !== 'dir' && e.name === name);
      if (!entry) throw new PermanentError('not-found', `no such file on the vehicle: ${full}`, { detail: { path } });
      return { size: entry.size, mtimeMs: entry.mtimeSec * 1000 };
    },

    async remove(path: string) {
      const full = vehiclePath(path);
      try {
        await (await client()).remove(full);
      } catch (err) {
        throw classify(err, full);
      }
    },

    async close() {
      const pending = connecting;
      connecting = undefined;
      if (!pending) return;
      const c = await pending.catch(() => undefined);
      await c?.link.close();
    },
  };
  return source satisfies Source;
}
