import { describe, expect, it } from 'vitest';
import type { ListProblem, SourceEntry } from '@filesync/core';
import { caught, collect, patternBytes, sha256Hex } from '@filesync/core/testing';
import { memFs } from '@filesync/core/testing/memfs';
import { createLocalSource } from './local-source';

/**
 * The local source on memfs: the fast unit tests. memfs has symlinks (and O_NOFOLLOW) but no FIFOs,
 * no permissions that stop root and no /proc, so a FIFO put in a file's place, an unreadable
 * directory and a parent directory swapped for a symlink out of the source are proven on real disks
 * (safe-source.spec.ts), as is the whole conformance suite (local-source.spec.ts).
 */
const DIR = '/card';

async function listAll(source: ReturnType<typeof createLocalSource>): Promise<{ entries: SourceEntry[]; problems: ListProblem[] }> {
  const entries: SourceEntry[] = [];
  const problems: ListProblem[] = [];
  for await (const e of source.list({ onProblem: (p) => problems.push(p) })) entries.push(e);
  return { entries: entries.sort((a, b) => a.path.localeCompare(b.path)), problems };
}

describe('local source on memfs: listing', () => {
  it('lists regular files in nested directories with their size and mtime; empty directories add nothing', async () => {
    const m = memFs();
    m.vol.fromJSON(
      {
        'DCIM/100FLIR/IMG_0001.jpg': 'a'.repeat(10),
        'DCIM/100FLIR/deep/er/VID_0002.mp4': 'b'.repeat(2000),
        'log.ulg': 'c'.repeat(7),
        'empty/dir': null,
      },
      DIR,
    );
    m.vol.utimesSync(`${DIR}/log.ulg`, 1_700_000_000, 1_700_000_000.5);
    const { entries, problems } = await listAll(createLocalSource({ id: 'cam', dir: DIR, fs: m.fs }));
    expect(entries.map((e) => [e.path, e.size])).toEqual([
      ['DCIM/100FLIR/deep/er/VID_0002.mp4', 2000],
      ['DCIM/100FLIR/IMG_0001.jpg', 10],
      ['log.ulg', 7],
    ]);
    expect(entries.find((e) => e.path === 'log.ulg')?.mtimeMs).toBe(1_700_000_000_500);
    expect(problems).toEqual([]);
  });

  it('does not list symlinks to files, and does not walk a symlinked directory (a loop to its parent)', async () => {
    const m = memFs();
    m.vol.fromJSON({ 'd/real.bin': 'r', '/outside/secret.txt': 'secret' }, DIR);
    m.vol.symlinkSync(DIR, `${DIR}/d/loop`);
    m.vol.symlinkSync('/outside/secret.txt', `${DIR}/link.txt`);
    m.vol.symlinkSync('/outside', `${DIR}/out`);
    const { entries, problems } = await listAll(createLocalSource({ id: 'cam', dir: DIR, fs: m.fs }));
    expect(entries.map((e) => e.path)).toEqual(['d/real.bin']);
    expect(problems).toEqual([]);
  });

  it('a missing root fails the listing (a drive not there is not an empty one)', async () => {
    const m = memFs();
    const err = await caught(async () => listAll(createLocalSource({ id: 'cam', dir: '/nowhere', fs: m.fs })));
    expect(err).toMatchObject({ kind: 'permanent', code: 'not-found' });
  });

  it('a directory below the root that fails to list is a problem, and the rest is listed', async () => {
    const m = memFs();
    m.vol.fromJSON({ 'a/one.bin': '1', 'bad/two.bin': '2', 'z/three.bin': '3' }, DIR);
    const source = createLocalSource({
      id: 'cam',
      dir: DIR,
      // The fault injected: opendir of one directory fails with EIO, as a failing card does.
      fs: {
        ...m.fs,
        opendir: (path) => (path === `${DIR}/bad` ? Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })) : m.fs.opendir(path)),
      },
    });
    const { entries, problems } = await listAll(source);
    expect(entries.map((e) => e.path)).toEqual(['a/one.bin', 'z/three.bin']);
    expect(problems).toEqual([expect.objectContaining({ path: 'bad', scope: 'tree' })]);
  });
});

describe('local source on memfs: reading and removing', () => {
  it('reads from an offset, hashes with sha256, and removes the file', async () => {
    const m = memFs();
    const bytes = patternBytes(700_000, 1);
    m.vol.mkdirSync(`${DIR}/sub`, { recursive: true });
    m.vol.writeFileSync(`${DIR}/sub/f.bin`, bytes);
    const source = createLocalSource({ id: 'cam', dir: DIR, fs: m.fs });
    expect(sha256Hex(await collect(source.read('sub/f.bin', 300_000)))).toBe(sha256Hex(bytes.subarray(300_000)));
    expect(await source.checksum!('sub/f.bin', 'sha256')).toBe(sha256Hex(bytes));
    await source.remove!('sub/f.bin');
    expect(m.vol.existsSync(`${DIR}/sub/f.bin`)).toBe(false);
    expect(await caught(() => collect(source.read('sub/f.bin', 0)))).toMatchObject({ kind: 'permanent', code: 'not-found' });
  });

  it('a listed file swapped for a symlink is neither read nor removed, and its target is left alone', async () => {
    const m = memFs();
    m.vol.fromJSON({ 'f.txt': 'mine', '/outside/secret.txt': 'secret' }, DIR);
    const source = createLocalSource({ id: 'cam', dir: DIR, fs: m.fs });
    m.vol.unlinkSync(`${DIR}/f.txt`);
    m.vol.symlinkSync('/outside/secret.txt', `${DIR}/f.txt`);
    expect(await caught(() => collect(source.read('f.txt', 0)))).toMatchObject({ kind: 'permanent', message: expect.stringMatching(/f\.txt is a symlink/) });
    expect(await caught(() => source.remove!('f.txt'))).toMatchObject({ kind: 'permanent' });
    expect(m.vol.readFileSync('/outside/secret.txt', 'utf8')).toBe('secret');
  });

  it('stat gives a fingerprint that changes when the file is replaced by another of the same size and mtime', async () => {
    const m = memFs();
    m.vol.fromJSON({ 'f.bin': 'aaaa' }, DIR);
    m.vol.utimesSync(`${DIR}/f.bin`, 1_700_000_000, 1_700_000_000);
    const source = createLocalSource({ id: 'cam', dir: DIR, fs: m.fs });
    const before = await source.stat!('f.bin');
    expect(before).toMatchObject({ size: 4, mtimeMs: 1_700_000_000_000 });
    m.vol.writeFileSync(`${DIR}/g.bin`, 'bbbb');
    m.vol.utimesSync(`${DIR}/g.bin`, 1_700_000_000, 1_700_000_000);
    m.vol.renameSync(`${DIR}/g.bin`, `${DIR}/f.bin`);
    const after = await source.stat!('f.bin');
    expect(after).toMatchObject({ size: 4, mtimeMs: 1_700_000_000_000 });
    expect(after.fingerprint).not.toBe(before.fingerprint);
  });
});
