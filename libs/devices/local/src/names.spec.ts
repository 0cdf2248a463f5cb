import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { caught, chunksOf, collect, patternBytes, sha256Hex } from '@filesync/core/testing';
import { createLocalSource } from './local-source';
import { createLocalTarget } from './local-target';

/**
 * Names reach the disk as they are (issue 17 items 5 and 12), on real files: a `\` is part of a name,
 * never a separator; a 255-byte name is stored although `name.part` would be 260 bytes; a name the
 * file system cannot hold fails with its reason.
 */

/** 255 bytes of UTF-8: the longest name ext4, XFS or tmpfs can hold. */
const LONGEST = `${'é'.repeat(100)}${'n'.repeat(51)}.ulg`;

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-local-names-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function* cutAfter(bytes: Uint8Array, failAfter: number): AsyncIterable<Uint8Array> {
  yield bytes.subarray(0, failAfter);
  throw new Error('power lost mid-write');
}

describe('local names', () => {
  it('a source name holding "\\" is listed, read and removed as itself, not as x/y.txt', async () => {
    const dir = await tempDir();
    const own = patternBytes(5000, 1);
    const other = patternBytes(7000, 2);
    await writeFile(join(dir, 'x\\y.txt'), own);
    await mkdir(join(dir, 'x'));
    await writeFile(join(dir, 'x', 'y.txt'), other);
    const source = createLocalSource({ id: 'src', dir });
    const listed: [string, number][] = [];
    for await (const e of source.list()) listed.push([e.path, e.size]);
    expect(listed.sort()).toEqual([
      ['x/y.txt', 7000],
      ['x\\y.txt', 5000],
    ]);
    expect(sha256Hex(await collect(source.read('x\\y.txt', 0)))).toBe(sha256Hex(own));
    await source.remove!('x\\y.txt');
    expect(await readdir(dir)).toEqual(['x']);
    expect(sha256Hex(new Uint8Array(await readFile(join(dir, 'x', 'y.txt'))))).toBe(sha256Hex(other));
  });

  it('a target stores a name holding "\\" as that one file', async () => {
    const dir = await tempDir();
    const target = createLocalTarget({ id: 'dst', dir, collision: 'rename' });
    const bytes = patternBytes(3000, 3);
    await target.write('a\\b.txt', 0, chunksOf(bytes));
    expect(await target.commit('a\\b.txt', { size: bytes.length, sha256: sha256Hex(bytes) })).toEqual({ location: 'a\\b.txt', outcome: 'committed' });
    expect(await readdir(dir)).toEqual(['a\\b.txt']);
  });

  it('a 255-byte name is stored; its in-transit copy fits, and a leftover from a crash is found and resumed', async () => {
    expect(Buffer.byteLength(LONGEST)).toBe(255);
    const dir = await tempDir();
    const bytes = patternBytes(200_000, 4);
    const first = createLocalTarget({ id: 'dst', dir, collision: 'rename' });
    await expect(first.write(`logs/${LONGEST}`, 0, cutAfter(bytes, 80_000))).rejects.toThrow('power lost');
    const leftovers = await readdir(join(dir, 'logs'));
    expect(leftovers).toHaveLength(1);
    expect(leftovers[0]).toMatch(/^\.[0-9a-f]{16}\.part$/);
    // A new target (the agent restarted) computes the same in-transit name and resumes from it.
    const second = createLocalTarget({ id: 'dst', dir, collision: 'rename' });
    expect(await second.partialSize(`logs/${LONGEST}`)).toBe(80_000);
    await second.write(`logs/${LONGEST}`, 80_000, chunksOf(bytes.subarray(80_000)));
    expect(await second.commit(`logs/${LONGEST}`, { size: bytes.length, sha256: sha256Hex(bytes) })).toEqual({ location: `logs/${LONGEST}`, outcome: 'committed' });
    expect(await readdir(join(dir, 'logs'))).toEqual([LONGEST]);
    expect(sha256Hex(new Uint8Array(await readFile(join(dir, 'logs', LONGEST))))).toBe(sha256Hex(bytes));
  });

  it('a name the file system cannot hold (256 bytes) fails that file with the reason, nothing written elsewhere', async () => {
    const dir = await tempDir();
    const target = createLocalTarget({ id: 'dst', dir, collision: 'rename' });
    const bytes = patternBytes(10, 5);
    await target.write(`${LONGEST}x`, 0, chunksOf(bytes));
    const err = await caught(() => target.commit(`${LONGEST}x`, { size: bytes.length, sha256: sha256Hex(bytes) }));
    expect(err).toMatchObject({ kind: 'permanent', code: 'bad-request', detail: { errno: 'ENAMETOOLONG' } });
    expect(await readdir(dir)).toEqual([]);
  });
});
