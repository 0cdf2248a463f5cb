import { describe, expect, it } from 'vitest';
import { createHasher } from '@filesync/core';
import { caught, patternBytes, sha256Hex, withHandles } from '@filesync/core/testing';
import { memFs } from '@filesync/core/testing/memfs';
import { hashFile } from './hash-file';
import { DEFAULT_CHUNK_BYTES } from './read-chunks';

describe('hashFile', () => {
  it('hashes a whole file of any size, in the buffers it takes turns with', async () => {
    const m = memFs();
    for (const size of [0, 1, 64 * 1024, DEFAULT_CHUNK_BYTES, 4 * DEFAULT_CHUNK_BYTES + 5]) {
      const bytes = patternBytes(size, size % 97);
      m.vol.writeFileSync(`/f${size}`, Buffer.from(bytes));
      expect(await hashFile(`/f${size}`, { fs: m.fs })).toBe(sha256Hex(bytes));
    }
  });

  it('reads the next chunk before it hashes the one it has', async () => {
    const m = memFs();
    const bytes = patternBytes(5 * DEFAULT_CHUNK_BYTES, 3);
    m.vol.writeFileSync('/big', Buffer.from(bytes));
    let reads = 0;
    const fs = withHandles(m.fs, (handle) => ({ read: (...args: Parameters<typeof handle.read>) => (reads++, handle.read(...args)) }));
    /** Reads asked for when each chunk was hashed. */
    const readsAtHash: number[] = [];
    const sha256 = createHasher('sha256');
    const hasher = { update: (chunk: Uint8Array) => (readsAtHash.push(reads), sha256.update(chunk)), digest: () => sha256.digest() };
    expect(await hashFile('/big', { fs, hasher })).toBe(sha256Hex(bytes));
    // Chunk n (from 1) is hashed once read n + 1 is under way: five chunks, then the probe that finds the end.
    expect(readsAtHash).toEqual([2, 3, 4, 5, 6]);
  });

  it('a read that fails half-way fails the hash with the device error', async () => {
    const m = memFs();
    m.vol.writeFileSync('/pulled', Buffer.from(patternBytes(3 * DEFAULT_CHUNK_BYTES, 4)));
    let reads = 0;
    const fs = withHandles(m.fs, (handle) => ({
      read: (...args: Parameters<typeof handle.read>) => (++reads === 2 ? Promise.reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })) : handle.read(...args)),
    }));
    expect(await caught(() => hashFile('/pulled', { fs }))).toMatchObject({ kind: 'transient', code: 'device-gone' });
  });
});
