import { execFile } from 'node:child_process';
import { opendirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type FsFileHandle, type ListProblem, type SourceEntry, nodeFsCalls } from '@filesync/core';
import { createLocalSource } from './local-source';

const run = promisify(execFile);
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) {
    await run('chmod', ['-R', 'u+rwx', d]).catch(() => undefined);
    await rm(d, { recursive: true, force: true });
  }
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fs-safe-src-'));
  dirs.push(d);
  return d;
}

async function collect(source: ReturnType<typeof createLocalSource>): Promise<{ entries: SourceEntry[]; problems: ListProblem[] }> {
  const entries: SourceEntry[] = [];
  const problems: ListProblem[] = [];
  for await (const e of source.list({ onProblem: (p) => problems.push(p) })) entries.push(e);
  return { entries: entries.sort((a, b) => a.path.localeCompare(b.path)), problems };
}

/**
 * A source holding sub/secret.txt ("mine") and, outside it, secret.txt ("secret"); `swapSub` replaces
 * the source's `sub` with a symlink to the outside directory, as an attacker would after a listing.
 */
async function parentSwapWorld(): Promise<{ dir: string; outside: string; swapSub(): Promise<void> }> {
  const dir = await tempDir();
  const outside = await tempDir();
  await writeFile(join(outside, 'secret.txt'), 'secret');
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'sub', 'secret.txt'), 'mine');
  const swapSub = async (): Promise<void> => {
    await rm(join(dir, 'sub'), { recursive: true });
    await symlink(outside, join(dir, 'sub'));
  };
  return { dir, outside, swapSub };
}

const bytesOf = async (source: ReturnType<typeof createLocalSource>, path: string): Promise<string> => {
  let out = '';
  for await (const chunk of source.read(path, 0)) out += Buffer.from(chunk).toString();
  return out;
};

const mkfifo = (path: string) => run('mkfifo', [path]);

describe('local source: walks that always finish', () => {
  // Tests run as root, and root reads a chmod 000 directory. The child lists without the two
  // capabilities that let root do so, so the directory is as unreadable as for any other user.
  const script = fileURLToPath(new URL('./testing/list-once.ts', import.meta.url));
  it.skipIf(userInfo().uid !== 0)('an unreadable directory is a problem, and the rest of the walk is listed', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'locked'));
    await mkdir(join(dir, 'z'));
    await writeFile(join(dir, 'a', 'one.bin'), '1');
    await writeFile(join(dir, 'locked', 'hidden.bin'), '2');
    await writeFile(join(dir, 'z', 'three.bin'), '3');
    await chmod(join(dir, 'locked'), 0o000);
    const { stdout } = await run('setpriv', ['--bounding-set', '-dac_override,-dac_read_search', process.execPath, '--import', 'tsx', script, dir], {
      timeout: 60_000,
    });
    const listed = JSON.parse(stdout) as { entries: SourceEntry[]; problems: ListProblem[] };
    expect(listed.entries.map((e) => e.path).sort()).toEqual(['a/one.bin', 'z/three.bin']);
    expect(listed.problems).toHaveLength(1);
    expect(listed.problems[0]).toMatchObject({ path: 'locked', scope: 'tree' });
    expect(listed.problems[0]?.reason).toMatch(/permission|EACCES/i);
  }, 90_000);

  it('a directory that is a symlink (to a parent: a loop) is not walked, and files that are symlinks are not listed', async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'd', 'real.bin'), 'r');
    await symlink(dir, join(dir, 'd', 'loop'));
    await symlink(join(outside, 'secret.txt'), join(dir, 'link.txt'));
    const { entries, problems } = await collect(createLocalSource({ id: 'l', dir }));
    expect(entries.map((e) => e.path)).toEqual(['d/real.bin']);
    expect(problems).toEqual([]);
  });
});

describe('local source: listing cost', () => {
  it('a listing lstats up to four files at once, and lists in readdir order, depth first, as one at a time did', async () => {
    const dir = await tempDir();
    for (let i = 0; i < 11; i++) await writeFile(join(dir, `f${i}.bin`), 'x'.repeat(i));
    await mkdir(join(dir, 'sub'));
    for (let i = 0; i < 6; i++) await writeFile(join(dir, 'sub', `g${i}.bin`), 'y');
    await symlink(join(dir, 'f1.bin'), join(dir, 'link.bin'));
    let inFlight = 0;
    let most = 0;
    const fs = {
      ...nodeFsCalls,
      lstat: (async (path: string, options?: { bigint: true }) => {
        most = Math.max(most, ++inFlight);
        try {
          return await (options ? nodeFsCalls.lstat(path, options) : nodeFsCalls.lstat(path));
        } finally {
          inFlight--;
        }
      }) as typeof nodeFsCalls.lstat,
    };
    const listed: string[] = [];
    for await (const e of createLocalSource({ id: 'l', dir, fs }).list()) listed.push(e.path);
    // What a walk one entry at a time gives: readdir's order, a directory's files where it is met.
    const expected: string[] = [];
    const walk = (at: string, prefix: string): void => {
      const d = opendirSync(at);
      for (let e = d.readSync(); e !== null; e = d.readSync()) {
        const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
        if (e.isDirectory()) walk(join(at, e.name), rel);
        else if (e.isFile()) expected.push(rel);
      }
      d.closeSync();
    };
    walk(dir, '');
    expect(listed).toEqual(expected);
    expect(listed).toHaveLength(17);
    expect(most).toBe(4);
  });
});

describe('local source: safe opens', () => {
  it('a listed file swapped for a FIFO is refused at once, naming what it is', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'f.bin'), 'data');
    const source = createLocalSource({ id: 'l', dir });
    expect((await collect(source)).entries.map((e) => e.path)).toEqual(['f.bin']);
    await rm(join(dir, 'f.bin'));
    await mkfifo(join(dir, 'f.bin'));
    // Without O_NONBLOCK the open blocks for ever (no writer): the test would time out.
    await expect(bytesOf(source, 'f.bin')).rejects.toMatchObject({ kind: 'permanent', message: expect.stringMatching(/f\.bin is a FIFO/) });
    await expect(source.remove?.('f.bin')).rejects.toMatchObject({ kind: 'permanent' });
  });

  it('a listed file swapped for a symlink to a file outside the source is not read and not removed', async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await writeFile(join(dir, 'f.txt'), 'mine');
    const source = createLocalSource({ id: 'l', dir });
    await rm(join(dir, 'f.txt'));
    await symlink(join(outside, 'secret.txt'), join(dir, 'f.txt'));
    await expect(bytesOf(source, 'f.txt')).rejects.toMatchObject({ kind: 'permanent', message: expect.stringMatching(/f\.txt is a symlink/) });
    await expect(source.remove?.('f.txt')).rejects.toMatchObject({ kind: 'permanent' });
  });

  it('a parent directory swapped for a symlink out of the source is not read through', async () => {
    const { dir, outside, swapSub } = await parentSwapWorld();
    const source = createLocalSource({ id: 'l', dir });
    await swapSub();
    await expect(bytesOf(source, 'sub/secret.txt')).rejects.toMatchObject({ kind: 'permanent', message: expect.stringMatching(/outside the source/) });
    await expect(source.remove?.('sub/secret.txt')).rejects.toMatchObject({ kind: 'permanent' });
    expect(await bytesOf(createLocalSource({ id: 'o', dir: outside }), 'secret.txt')).toBe('secret');
  });

  it('a parent directory swapped for a symlink out of the source after reads (the root\'s real path known by then) is not read through', async () => {
    const { dir, swapSub } = await parentSwapWorld();
    const source = createLocalSource({ id: 'l', dir });
    expect(await bytesOf(source, 'sub/secret.txt')).toBe('mine');
    await swapSub();
    await expect(bytesOf(source, 'sub/secret.txt')).rejects.toMatchObject({ kind: 'permanent', message: expect.stringMatching(/outside the source/) });
    await expect(source.checksum?.('sub/secret.txt', 'sha256')).rejects.toMatchObject({ kind: 'permanent' });
    await expect(source.remove?.('sub/secret.txt')).rejects.toMatchObject({ kind: 'permanent' });
  });

  it('a root that is a symlink re-pointed while the source runs is followed to its new place', async () => {
    const base = await tempDir();
    await mkdir(join(base, 'one'));
    await mkdir(join(base, 'two'));
    await writeFile(join(base, 'one', 'f.txt'), 'first');
    await writeFile(join(base, 'two', 'f.txt'), 'second');
    await symlink(join(base, 'one'), join(base, 'root'));
    const source = createLocalSource({ id: 'l', dir: join(base, 'root') });
    expect(await bytesOf(source, 'f.txt')).toBe('first');
    await rm(join(base, 'root'));
    await symlink(join(base, 'two'), join(base, 'root'));
    expect(await bytesOf(source, 'f.txt')).toBe('second');
  });

  it('each open costs one fstat (its size is the read\'s), and the root\'s real path is resolved once, not at every open', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'a'));
    for (let i = 0; i < 3; i++) await writeFile(join(dir, 'a', `f${i}.bin`), `file ${i}`);
    const calls = { realpath: 0, fstat: 0, readlink: 0 };
    const fs = {
      ...nodeFsCalls,
      realpath: (path: string) => {
        calls.realpath++;
        return nodeFsCalls.realpath(path);
      },
      readlink: (path: string) => {
        calls.readlink++;
        return nodeFsCalls.readlink(path);
      },
      open: async (path: string, flags: string | number): Promise<FsFileHandle> => {
        const handle = await nodeFsCalls.open(path, flags);
        const counted: FsFileHandle = {
          fd: handle.fd,
          read: handle.read.bind(handle),
          write: handle.write.bind(handle),
          truncate: handle.truncate.bind(handle),
          datasync: handle.datasync.bind(handle),
          sync: handle.sync.bind(handle),
          close: handle.close.bind(handle),
          stat: () => {
            calls.fstat++;
            return handle.stat();
          },
        };
        return counted;
      },
    };
    const source = createLocalSource({ id: 'l', dir, fs });
    for (let i = 0; i < 3; i++) {
      expect(await bytesOf(source, `a/f${i}.bin`)).toBe(`file ${i}`);
      expect(await source.checksum?.(`a/f${i}.bin`, 'sha256')).toMatch(/^[0-9a-f]{64}$/);
    }
    // Six opens: each checked against /proc for where it really is, each stat'ed once.
    expect(calls).toEqual({ realpath: 1, fstat: 6, readlink: 6 });
  });
});
