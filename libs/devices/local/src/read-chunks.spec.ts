import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isReleased } from '@filesync/core';
import { readChunks } from './read-chunks';

async function collect(chunks: AsyncIterable<Uint8Array>, copy = false): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of chunks) out.push(copy ? Uint8Array.from(c) : c);
  return out;
}

describe('readChunks', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'read-chunks-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sizes each buffer to what is left of the file, not to a whole chunk', async () => {
    const file = join(dir, 'small');
    await writeFile(file, 'ten bytes!');
    const chunks = await collect(readChunks(file, 0, { chunkBytes: 4 }));
    expect(chunks.map((c) => Buffer.from(c).toString())).toEqual(['ten ', 'byte', 's!']);
    // The last chunk owns a buffer of its own length: a consumer keeping it keeps 2 bytes.
    expect(chunks.map((c) => c.buffer.byteLength)).toEqual([4, 4, 2]);
    const tiny = await collect(readChunks(file, 0));
    expect(tiny).toHaveLength(1);
    expect(tiny[0]!.buffer.byteLength).toBe(10);
  });

  it('reads the same bytes from any offset, in order, across chunk boundaries', async () => {
    const file = join(dir, 'big');
    const bytes = randomBytes(1000 * 1024 + 17);
    await writeFile(file, bytes);
    for (const offset of [0, 1, 256 * 1024, bytes.length - 1, bytes.length]) {
      const got = Buffer.concat(await collect(readChunks(file, offset, { chunkBytes: 64 * 1024 + 3 })));
      expect(got.equals(bytes.subarray(offset))).toBe(true);
    }
  });

  it('reads on to the new end of a file that grew after it was opened', async () => {
    const file = join(dir, 'growing');
    await writeFile(file, 'abc');
    const head = randomBytes(40_000);
    const iterator = readChunks(file, 0, { chunkBytes: 8192 })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe('abc');
    // Past the size seen at open: the tail probe finds more, then full chunks follow.
    await appendFile(file, head);
    const rest: Uint8Array[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest.push(r.value);
    expect(Buffer.concat(rest).equals(head)).toBe(true);
    expect(rest.slice(1, -1).every((c) => c.byteLength === 8192)).toBe(true);
  });

  it('with reuseBuffer, hands out one buffer again and again, the bytes still right chunk by chunk', async () => {
    const file = join(dir, 'hashed');
    const bytes = randomBytes(300_000);
    await writeFile(file, bytes);
    const buffers = new Set<ArrayBufferLike>();
    const copies: Uint8Array[] = [];
    for await (const c of readChunks(file, 0, { chunkBytes: 65_536, reuseBuffer: true })) {
      buffers.add(c.buffer);
      copies.push(Uint8Array.from(c));
    }
    expect(buffers.size).toBe(1);
    expect(Buffer.concat(copies).equals(bytes)).toBe(true);
  });

  it('with reuseBuffer, the one buffer is the size the file needs, not a whole chunk, and grows with a file that grows', async () => {
    const file = join(dir, 'small-hashed');
    await writeFile(file, randomBytes(40_000));
    const sizes = new Set<number>();
    for await (const c of readChunks(file, 0, { reuseBuffer: true })) sizes.add(c.buffer.byteLength);
    expect([...sizes]).toEqual([40_000]);
    const tiny = join(dir, 'tiny-hashed');
    await writeFile(tiny, 'ten bytes!');
    const tinySizes = new Set<number>();
    for await (const c of readChunks(tiny, 0, { reuseBuffer: true })) tinySizes.add(c.buffer.byteLength);
    // Room for the read past the end that finds it (16 KiB) in the same buffer.
    expect([...tinySizes]).toEqual([16 * 1024]);
    // A file that grows after the open: read to its new end, in a buffer grown for it.
    const growing = join(dir, 'growing-hashed');
    await writeFile(growing, 'abc');
    const more = randomBytes(100_000);
    const copies: Uint8Array[] = [];
    const iterator = readChunks(growing, 0, { reuseBuffer: true, chunkBytes: 65_536 })[Symbol.asyncIterator]();
    const first = await iterator.next();
    copies.push(Uint8Array.from(first.value as Uint8Array));
    await appendFile(growing, more);
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) copies.push(Uint8Array.from(r.value));
    expect(Buffer.concat(copies).equals(Buffer.concat([Buffer.from('abc'), more]))).toBe(true);
  });

  it('with buffers, reads into those it is handed (released, as fresh ones) and allocates when it gets none', async () => {
    const file = join(dir, 'pooled');
    const bytes = randomBytes(3 * 65_536 + 100);
    await writeFile(file, bytes);
    const handed = [new ArrayBuffer(65_536), new ArrayBuffer(65_536)];
    const asked: number[] = [];
    const buffers = { take: (n: number) => (asked.push(n), handed.shift()) };
    const chunks = await collect(readChunks(file, 0, { chunkBytes: 65_536, buffers }));
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    expect(asked).toEqual([65_536, 65_536, 65_536, 100, 16 * 1024]);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(4);
    expect(chunks.every((c) => isReleased(c))).toBe(true);
  });

  it('classifies an open that fails, and ends at once on an empty file', async () => {
    await expect(collect(readChunks(join(dir, 'missing'), 0))).rejects.toMatchObject({ code: 'not-found' });
    const empty = join(dir, 'empty');
    await (await open(empty, 'w')).close();
    expect(await collect(readChunks(empty, 0))).toEqual([]);
  });
});
