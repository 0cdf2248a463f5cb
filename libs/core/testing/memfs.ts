import { type IFs, Volume, createFsFromVolume } from 'memfs';
import type { FsBigIntStats, FsCalls, FsDirent, FsFileHandle, FsStats } from '../src/fs-calls';

/**
 * An in-memory file system for fast unit tests of the local devices: `fs` is the `FsCalls` they take,
 * `vol` the memfs volume a test fills and inspects with its sync calls (`vol.fromJSON`,
 * `vol.readFileSync`). Tests only: memfs is a devDependency and never reaches the built agent.
 *
 * memfs's declarations are wider than what it returns (stats typed `number | bigint`, names `string |
 * Buffer`, its handle interface without the `sync` its FileHandle has), so each call below narrows what it
 * got and throws if memfs ever answers otherwise: a changed memfs fails loudly here, not as a
 * puzzling assertion in a device test.
 */
export interface MemFs {
  readonly vol: Volume;
  readonly fs: FsCalls;
}

type MemPromises = IFs['promises'];
type MemStats = Awaited<ReturnType<MemPromises['lstat']>>;
type MemHandle = Awaited<ReturnType<MemPromises['open']>>;
type MemDirent = Awaited<ReturnType<MemPromises['opendir']>> extends AsyncIterable<infer D> ? D : never;

function numeric(st: MemStats): FsStats {
  if (typeof st.size !== 'number' || typeof st.dev !== 'number' || typeof st.ino !== 'number' || typeof st.mtimeMs !== 'number') {
    throw new Error('memfs returned bigint stats where numbers were asked for');
  }
  return { ...pick(st), size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino };
}

/** The type tests of a stats object, bound to it (spreading a class instance drops its methods). */
function pick(st: MemStats): Omit<FsStats, 'size' | 'mtimeMs' | 'dev' | 'ino'> {
  return {
    isFile: () => st.isFile(),
    isDirectory: () => st.isDirectory(),
    isSymbolicLink: () => st.isSymbolicLink(),
    isFIFO: () => st.isFIFO(),
    isSocket: () => st.isSocket(),
    isCharacterDevice: () => st.isCharacterDevice(),
    isBlockDevice: () => st.isBlockDevice(),
  };
}

function big(st: MemStats): FsBigIntStats {
  // ctimeNs and mtimeNs are set on bigint stats at run time; memfs's IStats does not declare them.
  const ns = st as MemStats & { ctimeNs?: unknown; mtimeNs?: unknown };
  if (typeof st.size !== 'bigint' || typeof st.dev !== 'bigint' || typeof st.ino !== 'bigint' || typeof st.mtimeMs !== 'bigint') {
    throw new Error('memfs returned number stats where bigints were asked for');
  }
  if (typeof ns.ctimeNs !== 'bigint' || typeof ns.mtimeNs !== 'bigint') throw new Error('memfs bigint stats lack ctimeNs/mtimeNs');
  return { size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino, ctimeNs: ns.ctimeNs, mtimeNs: ns.mtimeNs, isFile: () => st.isFile() };
}

const text = (value: string | Buffer): string => (typeof value === 'string' ? value : value.toString('utf8'));

function handleOf(h: MemHandle): FsFileHandle {
  // memfs's FileHandle class has sync(); its IFileHandle interface leaves it out.
  const sync = (h as MemHandle & { sync?: () => Promise<void> }).sync;
  if (typeof sync !== 'function') throw new Error('memfs file handle has no sync()');
  return {
    fd: h.fd,
    read: (buffer, offset, length, position) => h.read(buffer, offset, length, position),
    write: (buffer, offset, length, position) => h.write(buffer, offset, length, position),
    truncate: (length) => h.truncate(length),
    datasync: () => h.datasync(),
    sync: () => sync.call(h),
    stat: async () => numeric(await h.stat()),
    close: () => h.close(),
  };
}

function direntOf(d: MemDirent): FsDirent {
  return { name: text(d.name), isFile: () => d.isFile(), isDirectory: () => d.isDirectory() };
}

export function memFs(): MemFs {
  const vol = new Volume();
  const p = createFsFromVolume(vol).promises;
  function lstat(path: string): Promise<FsStats>;
  function lstat(path: string, options: { bigint: true }): Promise<FsBigIntStats>;
  async function lstat(path: string, options?: { bigint: true }): Promise<FsStats | FsBigIntStats> {
    return options?.bigint ? big(await p.lstat(path, { bigint: true })) : numeric(await p.lstat(path));
  }
  const fs: FsCalls = {
    open: async (path, flags) => handleOf(await p.open(path, flags)),
    mkdir: (path, options) => p.mkdir(path, options),
    rename: (from, to) => p.rename(from, to),
    stat: async (path) => numeric(await p.stat(path)),
    lstat,
    // memfs answers with fixed figures (about 4 GB free); a test of the space guard supplies its own.
    statfs: async (path) => {
      const space = await p.statfs(path);
      return { bavail: Number(space.bavail), bsize: Number(space.bsize), blocks: Number(space.blocks) };
    },
    truncate: (path, length) => p.truncate(path, length),
    unlink: (path) => p.unlink(path),
    async opendir(path) {
      const dir = await p.opendir(path);
      return (async function* () {
        for await (const d of dir) yield direntOf(d);
      })();
    },
    readlink: async (path) => text(await p.readlink(path)),
    realpath: async (path) => text(await p.realpath(path)),
  };
  return { vol, fs };
}
