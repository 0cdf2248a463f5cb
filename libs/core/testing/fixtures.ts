import type { FsCalls, FsFileHandle } from '../src/fs-calls';
import { hashBytes } from '../src/hashing';
import type { HashName } from '../src/source';

export { patternBytes } from '../src/random';

export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    total += chunk.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function* chunksOf(bytes: Uint8Array, size = 64 * 1024): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, Math.min(bytes.length, at + size));
}

export function sha256Hex(bytes: Uint8Array): string {
  return hashBytes('sha256', bytes);
}

export function expectedHash(name: HashName, bytes: Uint8Array): string {
  return hashBytes(name, bytes);
}

/** Runs `fn` and returns what it threw (or fails if it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw, but it returned');
}

/**
 * `fs` whose every opened file handle has the calls `change` returns in place of its own: how a unit
 * test injects a disk fault (a short write, a failed flush) or watches what a device does to a file.
 * For handles that are plain objects (memfs's, through `memFs`); a class instance loses its methods when spread.
 */
export function withHandles<F extends Pick<FsCalls, 'open'>>(fs: F, change: (handle: FsFileHandle, path: string) => Partial<FsFileHandle>): F {
  return {
    ...fs,
    open: async (path: string, flags: string | number): Promise<FsFileHandle> => {
      const handle = await fs.open(path, flags);
      return { ...handle, ...change(handle, path) };
    },
  };
}
