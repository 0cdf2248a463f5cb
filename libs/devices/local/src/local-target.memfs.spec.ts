import { describe, expect, it } from 'vitest';
import { type CollisionPolicy, type FsFileHandle, inTransitPath } from '@filesync/core';
import { caught, chunksOf, patternBytes, sha256Hex, withHandles } from '@filesync/core/testing';
import { memFs } from '@filesync/core/testing/memfs';
import { createLocalTarget } from './local-target';

/**
 * The local target on memfs: the fast unit tests. memfs makes sync a no-op, never fills up and takes
 * names of any length, so durability, short writes on a full disk and ENAMETOOLONG stay with the
 * real-disk specs (local-target.spec.ts's conformance suite, full-disk.spec.ts, names.spec.ts).
 */
const DIR = '/nas';

function world(collision: CollisionPolicy = 'rename') {
  const m = memFs();
  m.vol.mkdirSync(DIR, { recursive: true });
  const target = createLocalTarget({ id: 'nas', dir: DIR, collision, fs: m.fs });
  const bytesAt = (path: string): Uint8Array | undefined =>
    m.vol.existsSync(`${DIR}/${path}`) ? new Uint8Array(m.vol.readFileSync(`${DIR}/${path}`) as Buffer) : undefined;
  /** Every file below the target (toJSON lists an empty directory with null). */
  const names = (): string[] =>
    Object.entries(m.vol.toJSON())
      .filter(([, content]) => content !== null)
      .map(([p]) => p.slice(DIR.length + 1))
      .sort();
  return { m, target, bytesAt, names };
}

const expectedOf = (bytes: Uint8Array) => ({ size: bytes.length, sha256: sha256Hex(bytes) });

describe('local target on memfs: in-transit name, then rename', () => {
  it('writes to name.part (directories made), syncs before the write resolves, and commit renames it into place', async () => {
    const { m, target, bytesAt, names } = world();
    const syncs: string[] = [];
    const watched = createLocalTarget({
      id: 'nas',
      dir: DIR,
      collision: 'rename',
      fs: withHandles(m.fs, (handle, path) => ({ sync: () => (syncs.push(path), handle.sync()) })),
    });
    const bytes = patternBytes(300_000, 1);
    await watched.write('logs/2026/a.ulg', 0, chunksOf(bytes, 64 * 1024));
    expect(names()).toEqual(['logs/2026/a.ulg.part']);
    // The file's own sync before write() resolves; the directory's comes with the commit.
    expect(syncs).toEqual([`${DIR}/logs/2026/a.ulg.part`]);
    expect(await target.stat('logs/2026/a.ulg')).toBeUndefined();
    expect(await target.partialSize('logs/2026/a.ulg')).toBe(bytes.length);
    expect(await watched.commit('logs/2026/a.ulg', expectedOf(bytes))).toEqual({ location: 'logs/2026/a.ulg', outcome: 'committed' });
    expect(names()).toEqual(['logs/2026/a.ulg']);
    expect(syncs).toEqual([`${DIR}/logs/2026/a.ulg.part`, `${DIR}/logs/2026`]);
    expect(sha256Hex(bytesAt('logs/2026/a.ulg')!)).toBe(sha256Hex(bytes));
    expect(await target.stat('logs/2026/a.ulg')).toEqual({ size: bytes.length });
  });

  it('commits by the sha256 taken while writing when the writes covered the copy from byte 0, and reads it back otherwise', async () => {
    const { m } = world();
    /** In-transit copies opened for reading: a commit that hashes by reading back opens its copy so. */
    const readBack: string[] = [];
    const fs = {
      ...m.fs,
      open: async (path: string, flags: string | number): Promise<FsFileHandle> => {
        if (flags === 'r' && path.endsWith('.part')) readBack.push(path);
        return m.fs.open(path, flags);
      },
    };
    const target = createLocalTarget({ id: 'nas', dir: DIR, collision: 'rename', fs });
    const bytes = patternBytes(400_000, 21);
    // Written in two goes, the second on where the first ended (an upload cut and resumed in this run).
    await target.write('a.bin', 0, chunksOf(bytes.subarray(0, 150_000), 64 * 1024));
    await target.write('a.bin', 150_000, chunksOf(bytes.subarray(150_000), 64 * 1024));
    expect(await target.commit('a.bin', expectedOf(bytes))).toEqual({ location: 'a.bin', outcome: 'committed' });
    expect(readBack).toEqual([]);

    // Continued by another instance (the agent restarted): its commit reads the copy back.
    m.vol.writeFileSync(`${DIR}/b.bin.part`, Buffer.from(bytes.subarray(0, 100_000)));
    const restarted = createLocalTarget({ id: 'nas', dir: DIR, collision: 'rename', fs });
    await restarted.write('b.bin', 100_000, chunksOf(bytes.subarray(100_000)));
    expect(await restarted.commit('b.bin', expectedOf(bytes))).toEqual({ location: 'b.bin', outcome: 'committed' });
    expect(readBack).toEqual([`${DIR}/b.bin.part`]);

    // Written whole, then cut short behind our back: read back, refused, never renamed into place.
    readBack.length = 0;
    await target.write('c.bin', 0, chunksOf(bytes));
    m.vol.truncateSync(`${DIR}/c.bin.part`, 100_000);
    expect(await caught(() => target.commit('c.bin', expectedOf(bytes)))).toMatchObject({ kind: 'permanent', code: 'checksum-mismatch' });
    expect(m.vol.existsSync(`${DIR}/c.bin`)).toBe(false);

    // Written whole with other bytes than the commit expects: the running hash refuses it.
    await target.write('d.bin', 0, chunksOf(patternBytes(400_000, 22)));
    expect(await caught(() => target.commit('d.bin', expectedOf(bytes)))).toMatchObject({ kind: 'permanent', code: 'checksum-mismatch' });
    expect(m.vol.existsSync(`${DIR}/d.bin`)).toBe(false);
    expect(readBack).toEqual([]);
  });

  it('flushes a large copy behind its writes (a datasync every 8 MiB, not waited for), then syncs it whole', async () => {
    const { m } = world();
    const calls: string[] = [];
    let failDatasync = false;
    const target = createLocalTarget({
      id: 'nas',
      dir: DIR,
      collision: 'rename',
      fs: withHandles(m.fs, (handle) => ({
        write: (...args: Parameters<FsFileHandle['write']>) => (calls.push('write'), handle.write(...args)),
        datasync: async () => {
          calls.push('datasync');
          if (failDatasync) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
          return handle.datasync();
        },
        sync: () => (calls.push('sync'), handle.sync()),
      })),
    });
    const bytes = patternBytes(20 * 1024 * 1024, 23);
    await target.write('big.bin', 0, chunksOf(bytes, 1024 * 1024));
    // Two flushes behind (at 8 and 16 MiB), each followed by more writes; the sync after the last write.
    const flushes = calls.flatMap((c, i) => (c === 'datasync' ? [i] : []));
    expect(flushes).toHaveLength(2);
    expect(flushes.every((i) => calls.slice(i + 1).includes('write'))).toBe(true);
    expect(calls.at(-1)).toBe('sync');
    expect(calls.filter((c) => c === 'write')).toHaveLength(20);
    expect(await target.commit('big.bin', expectedOf(bytes))).toEqual({ location: 'big.bin', outcome: 'committed' });

    // A flush behind that fails fails the write: its bytes are not taken as on the disk.
    failDatasync = true;
    expect(await caught(() => target.write('bad.bin', 0, chunksOf(bytes, 1024 * 1024)))).toMatchObject({ code: 'device-gone' });
  });

  it('resumes a write at the size of the in-transit copy, and refuses any other offset', async () => {
    const { target } = world();
    const bytes = patternBytes(200_000, 2);
    await target.write('b.bin', 0, chunksOf(bytes.subarray(0, 80_000)));
    expect(await caught(() => target.write('b.bin', 50_000, chunksOf(bytes.subarray(50_000))))).toMatchObject({
      kind: 'transient',
      code: 'conflict',
      detail: { have: 80_000, offset: 50_000 },
    });
    await target.write('b.bin', 80_000, chunksOf(bytes.subarray(80_000)));
    expect(await target.commit('b.bin', expectedOf(bytes))).toMatchObject({ outcome: 'committed' });
  });

  it('a copy whose size or sha256 does not match is refused and deleted, never renamed into place', async () => {
    const { target, names } = world();
    const bytes = patternBytes(10_000, 3);
    await target.write('c.bin', 0, chunksOf(bytes));
    const wrong = { size: bytes.length, sha256: sha256Hex(patternBytes(10_000, 4)) };
    expect(await caught(() => target.commit('c.bin', wrong))).toMatchObject({ kind: 'permanent', code: 'checksum-mismatch' });
    expect(names()).toEqual([]);
  });

  it('a repeated commit (the reply was lost) finds the file at its name and answers already-present', async () => {
    const { target } = world();
    const bytes = patternBytes(5_000, 5);
    await target.write('d.bin', 0, chunksOf(bytes));
    await target.commit('d.bin', expectedOf(bytes));
    expect(await target.commit('d.bin', expectedOf(bytes))).toEqual({ location: 'd.bin', outcome: 'already-present' });
    expect(await caught(() => target.commit('d.bin', expectedOf(patternBytes(5_000, 6))))).toMatchObject({ kind: 'transient', code: 'conflict' });
  });
});

describe('local target on memfs: a name that is taken', () => {
  const theirs = patternBytes(4_000, 7);
  const ours = patternBytes(6_000, 8);
  async function collide(collision: CollisionPolicy) {
    const w = world(collision);
    w.m.vol.mkdirSync(`${DIR}/x`);
    w.m.vol.writeFileSync(`${DIR}/x/f.bin`, theirs);
    await w.target.write('x/f.bin', 0, chunksOf(ours));
    return { ...w, receipt: await w.target.commit('x/f.bin', expectedOf(ours)) };
  }

  it('rename (the default): ours goes to f-1.bin, theirs untouched; the next one to f-2.bin', async () => {
    const w = await collide('rename');
    expect(w.receipt).toEqual({ location: 'x/f-1.bin', outcome: 'renamed' });
    expect(sha256Hex(w.bytesAt('x/f.bin')!)).toBe(sha256Hex(theirs));
    expect(sha256Hex(w.bytesAt('x/f-1.bin')!)).toBe(sha256Hex(ours));
    const third = patternBytes(3_000, 9);
    await w.target.write('x/f.bin', 0, chunksOf(third));
    expect(await w.target.commit('x/f.bin', expectedOf(third))).toEqual({ location: 'x/f-2.bin', outcome: 'renamed' });
    // Ours again (a lost reply): found at its suffixed name, not stored a third time.
    expect(await w.target.commit('x/f.bin', expectedOf(ours))).toEqual({ location: 'x/f-1.bin', outcome: 'already-present' });
    expect(w.names()).toEqual(['x/f-1.bin', 'x/f-2.bin', 'x/f.bin']);
  });

  it('overwrite: ours replaces theirs at the name', async () => {
    const w = await collide('overwrite');
    expect(w.receipt).toEqual({ location: 'x/f.bin', outcome: 'committed' });
    expect(sha256Hex(w.bytesAt('x/f.bin')!)).toBe(sha256Hex(ours));
    expect(w.names()).toEqual(['x/f.bin']);
  });

  it('skip: theirs stays, ours is dropped, and the answer says skipped', async () => {
    const w = await collide('skip');
    expect(w.receipt).toEqual({ location: 'x/f.bin', outcome: 'skipped' });
    expect(sha256Hex(w.bytesAt('x/f.bin')!)).toBe(sha256Hex(theirs));
    expect(w.names()).toEqual(['x/f.bin']);
  });

  it('the same content already at the name is done, whatever the policy', async () => {
    for (const policy of ['rename', 'overwrite', 'skip'] as const) {
      const w = world(policy);
      w.m.vol.writeFileSync(`${DIR}/same.bin`, ours);
      await w.target.write('same.bin', 0, chunksOf(ours));
      expect(await w.target.commit('same.bin', expectedOf(ours))).toEqual({ location: 'same.bin', outcome: 'already-present' });
      expect(w.names()).toEqual(['same.bin']);
    }
  });
});

describe('local target on memfs: names are stored as they are', () => {
  it('"\\", spaces, unicode and a leading dot reach the file system unchanged, each as one file', async () => {
    const { target, names } = world();
    const paths = ['a\\b.txt', 'with space/ünïcödé 飞行.ulg', '.hidden', 'dir.with.dots/x'];
    for (const [i, path] of paths.entries()) {
      const bytes = patternBytes(100 + i, 10 + i);
      await target.write(path, 0, chunksOf(bytes));
      expect(await target.commit(path, expectedOf(bytes))).toEqual({ location: path, outcome: 'committed' });
    }
    expect(names()).toEqual([...paths].sort());
  });

  it('a 255-byte name goes in transit under its short hidden name and is committed under its own', async () => {
    const { m, target, names } = world();
    const longest = `${'é'.repeat(100)}${'n'.repeat(51)}.ulg`;
    expect(Buffer.byteLength(longest)).toBe(255);
    const bytes = patternBytes(1_000, 20);
    await target.write(`logs/${longest}`, 0, chunksOf(bytes));
    const inTransit = inTransitPath(`${DIR}/logs/${longest}`, '.part');
    expect(inTransit).toMatch(/\/logs\/\.[0-9a-f]{16}\.part$/);
    expect(m.vol.existsSync(inTransit)).toBe(true);
    expect(await target.commit(`logs/${longest}`, expectedOf(bytes))).toEqual({ location: `logs/${longest}`, outcome: 'committed' });
    expect(names()).toEqual([`logs/${longest}`]);
  });
});
