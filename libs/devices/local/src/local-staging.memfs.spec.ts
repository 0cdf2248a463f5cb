import { describe, expect, it } from 'vitest';
import type { FsFileHandle } from '@filesync/core';
import { caught, chunksOf, patternBytes, sha256Hex, withHandles } from '@filesync/core/testing';
import { memFs } from '@filesync/core/testing/memfs';
import { createLocalStaging } from './local-staging';

/**
 * Local staging on memfs: the fast unit tests. memfs makes datasync a no-op and invents statfs figures,
 * so these watch the calls instead (a flush before each checkpoint, the guard's arithmetic); that the
 * bytes really survive a power cut, and the real free space, are proven on real disks
 * (local-staging.spec.ts, full-disk.spec.ts, the chaos power-loss runs).
 */
const DIR = '/staging';
const noCheckpoint = { checkpointBytes: 1 << 20, checkpointMs: 60_000, onCheckpoint: () => undefined };

const fileBytes = (m: ReturnType<typeof memFs>, path: string): Uint8Array => new Uint8Array(m.vol.readFileSync(path) as Buffer);

describe('local staging on memfs', () => {
  it('reports each checkpoint only after a datasync that covers it, and seals with the sha256 of the bytes', async () => {
    const m = memFs();
    // Watch the flushes: the size of the file when each datasync starts (what it certainly covers).
    const syncedAt: number[] = [];
    const watched = withHandles(m.fs, (handle, path) => ({
      datasync: async () => {
        const size = m.vol.statSync(path).size as number;
        await handle.datasync();
        syncedAt.push(size);
      },
    }));
    const staging = createLocalStaging(DIR, { fs: watched });
    const bytes = patternBytes(1_000_000, 5);
    const seen: { offset: number; synced: number | undefined }[] = [];
    const end = await staging.append('f1', 0, chunksOf(bytes, 50_000), {
      checkpointBytes: 200_000,
      checkpointMs: 60_000,
      onCheckpoint: ({ offset }) => void seen.push({ offset, synced: syncedAt.at(-1) }),
    });
    expect(end).toBe(bytes.length);
    expect(seen.map((c) => c.offset)).toEqual([200_000, 400_000, 600_000, 800_000, 1_000_000]);
    // Data first, then the record: the last flush before each checkpoint started with at least its offset in the file.
    expect(seen.every((c) => c.synced !== undefined && c.synced >= c.offset)).toBe(true);
    expect(syncedAt).toHaveLength(5);
    expect(await staging.seal('f1')).toBe(sha256Hex(bytes));
    expect(m.vol.existsSync(`${DIR}/f1.part`)).toBe(false);
    expect(sha256Hex(fileBytes(m, `${DIR}/f1`))).toBe(sha256Hex(bytes));
  });

  it('writes the next chunks while the datasync of a checkpoint runs, one datasync at a time, checkpoints in order', async () => {
    const m = memFs();
    let syncing = 0;
    let mostAtOnce = 0;
    /** Writes that started while a datasync was under way. */
    let writesDuringSync = 0;
    /** Resolves the datasync under way once a write has come during it (else a timer does). */
    let onWrite: (() => void) | undefined;
    const watched = withHandles(m.fs, (handle) => ({
      write: (...args: Parameters<FsFileHandle['write']>) => {
        if (syncing > 0) writesDuringSync++;
        onWrite?.();
        return handle.write(...args);
      },
      datasync: async () => {
        mostAtOnce = Math.max(mostAtOnce, ++syncing);
        // A slow disk: the flush ends when the next write has started, or after 200 ms without one.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 200);
          onWrite = () => (clearTimeout(timer), resolve());
        });
        onWrite = undefined;
        syncing--;
        await handle.datasync();
      },
    }));
    const staging = createLocalStaging(DIR, { fs: watched });
    const bytes = patternBytes(1_000_000, 7);
    const offsets: number[] = [];
    await staging.append('p', 0, chunksOf(bytes, 50_000), { checkpointBytes: 200_000, checkpointMs: 60_000, onCheckpoint: ({ offset }) => void offsets.push(offset) });
    expect(offsets).toEqual([200_000, 400_000, 600_000, 800_000, 1_000_000]);
    // Every checkpoint but the last had the following chunk written during its flush.
    expect(writesDuringSync).toBe(4);
    expect(mostAtOnce).toBe(1);
    expect(await staging.seal('p')).toBe(sha256Hex(bytes));
  });

  it('a checkpoint whose datasync fails fails the append, after its bytes were written, and reports nothing', async () => {
    const m = memFs();
    let datasyncs = 0;
    const watched = withHandles(m.fs, (handle) => ({
      datasync: async () => {
        if (++datasyncs === 2) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        await handle.datasync();
      },
    }));
    const staging = createLocalStaging(DIR, { fs: watched });
    const bytes = patternBytes(1_000_000, 8);
    const offsets: number[] = [];
    const err = await caught(() => staging.append('q', 0, chunksOf(bytes, 50_000), { checkpointBytes: 200_000, checkpointMs: 60_000, onCheckpoint: ({ offset }) => void offsets.push(offset) }));
    expect(err).toMatchObject({ code: 'device-gone' });
    expect(offsets).toEqual([200_000]);
    // The append stopped at the next checkpoint: no more than one checkpoint's bytes went on after the failed flush.
    expect(m.vol.statSync(`${DIR}/q.part`).size).toBeLessThanOrEqual(600_000);
  });

  it('truncates a partial longer than its record to the record on resume, and the download goes on from there', async () => {
    const m = memFs();
    const bytes = patternBytes(300_000, 6);
    m.vol.mkdirSync(DIR, { recursive: true });
    // 150,000 bytes past the record were written but never promised durable (garbage here, to be dropped).
    m.vol.writeFileSync(`${DIR}/f2.part`, Buffer.concat([Buffer.from(bytes.subarray(0, 100_000)), Buffer.alloc(150_000, 0xee)]));
    const staging = createLocalStaging(DIR, { fs: m.fs });
    expect(await staging.resume('f2', 100_000)).toBe(100_000);
    expect(m.vol.statSync(`${DIR}/f2.part`).size).toBe(100_000);
    await staging.append('f2', 100_000, chunksOf(bytes.subarray(100_000)), noCheckpoint);
    expect(await staging.seal('f2')).toBe(sha256Hex(bytes));
  });

  it('reports a partial shorter than its record (lost with the power), and 0 for none', async () => {
    const m = memFs();
    m.vol.fromJSON({ 'f3.part': 'x'.repeat(1000) }, DIR);
    const staging = createLocalStaging(DIR, { fs: m.fs });
    expect(await staging.resume('f3', 5000)).toBe(1000);
    expect(m.vol.statSync(`${DIR}/f3.part`).size).toBe(1000);
    expect(await staging.resume('missing', 5000)).toBe(0);
  });

  it('a resume looks at each name once: a new file (nothing staged yet) costs two stats, a partial one', async () => {
    const m = memFs();
    m.vol.fromJSON({ 'f3.part': 'x'.repeat(1000) }, DIR);
    const stats: string[] = [];
    const staging = createLocalStaging(DIR, {
      fs: {
        ...m.fs,
        stat: (path) => {
          stats.push(path.slice(DIR.length + 1));
          return m.fs.stat(path);
        },
      },
    });
    expect(await staging.resume('new', 0)).toBe(0);
    expect(stats).toEqual(['new.part', 'new']);
    stats.length = 0;
    expect(await staging.resume('f3', 5000)).toBe(1000);
    expect(stats).toEqual(['f3.part']);
  });

  it('resumes a file sealed but not yet recorded as staged by unsealing it, without starting over', async () => {
    const m = memFs();
    const staging = createLocalStaging(DIR, { fs: m.fs });
    const bytes = patternBytes(200_000, 8);
    await staging.append('f5', 0, chunksOf(bytes), noCheckpoint);
    await staging.seal('f5');
    expect(await staging.resume('f5', bytes.length)).toBe(bytes.length);
    expect(m.vol.existsSync(`${DIR}/f5`)).toBe(false);
    expect(await staging.seal('f5')).toBe(sha256Hex(bytes));
  });

  it('reads a sealed file from an offset', async () => {
    const m = memFs();
    const staging = createLocalStaging(DIR, { fs: m.fs });
    const bytes = patternBytes(600_000, 9);
    await staging.append('f6', 0, chunksOf(bytes), noCheckpoint);
    await staging.seal('f6');
    const parts: Uint8Array[] = [];
    for await (const chunk of staging.read('f6', 123_456)) parts.push(chunk);
    expect(sha256Hex(Buffer.concat(parts))).toBe(sha256Hex(bytes.subarray(123_456)));
  });

  it('removes the partial and the sealed file, and tolerates neither being there', async () => {
    const m = memFs();
    m.vol.fromJSON({ 'f4.part': 'x', f4: 'xy', other: 'z' }, DIR);
    const staging = createLocalStaging(DIR, { fs: m.fs });
    expect(await staging.size('f4')).toBe(2);
    await staging.remove('f4');
    expect(await staging.size('f4')).toBe(0);
    expect(Object.keys(m.vol.toJSON())).toEqual([`${DIR}/other`]);
    await expect(staging.remove('f4')).resolves.toBeUndefined();
  });

  it('the free-space guard reads statfs of the staging directory: available and total bytes', async () => {
    const m = memFs();
    const asked: string[] = [];
    // memfs's statfs is made up; the test supplies the figures a nearly full card would give.
    const staging = createLocalStaging(DIR, {
      fs: {
        ...m.fs,
        statfs: async (path) => {
          asked.push(path);
          return { bavail: 3, bsize: 4096, blocks: 1000 };
        },
      },
    });
    expect(await staging.freeBytes()).toBe(3 * 4096);
    expect(asked).toEqual([DIR]);
    // Free and total bytes from one statfs: a download step asks for both.
    expect(await staging.space()).toEqual({ freeBytes: 3 * 4096, totalBytes: 1000 * 4096 });
    expect(asked).toEqual([DIR, DIR]);
    // The directory is made before it is asked about (statfs of a missing one fails).
    expect(m.vol.statSync(DIR).isDirectory()).toBe(true);
  });

  it('an append cut off mid-stream leaves the bytes of the last checkpoint in the file', async () => {
    const m = memFs();
    const staging = createLocalStaging(DIR, { fs: m.fs });
    const bytes = patternBytes(300_000, 10);
    async function* cut(): AsyncIterable<Uint8Array> {
      yield bytes.subarray(0, 100_000);
      yield bytes.subarray(100_000, 200_000);
      throw new Error('link lost');
    }
    const checkpoints: number[] = [];
    await expect(
      staging.append('f7', 0, cut(), { checkpointBytes: 100_000, checkpointMs: 60_000, onCheckpoint: ({ offset }) => void checkpoints.push(offset) }),
    ).rejects.toThrow('link lost');
    expect(checkpoints).toEqual([100_000, 200_000]);
    expect(await staging.resume('f7', checkpoints.at(-1)!)).toBe(200_000);
    await staging.append('f7', 200_000, chunksOf(bytes.subarray(200_000)), noCheckpoint);
    expect(await staging.seal('f7')).toBe(sha256Hex(bytes));
  });

  it('a disk that takes part of a chunk and then fails (injected) never gets a checkpoint past its bytes', async () => {
    const m = memFs();
    const room = 150_000;
    // The fault injected: writes are short near the end of the room, then ENOSPC, as on a full disk.
    const full = withHandles(m.fs, (handle) => ({
      write: async (buffer: Uint8Array, offset: number, length: number, position: number) => {
        const fits = Math.min(length, room - position);
        if (fits <= 0) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return handle.write(buffer, offset, fits, position);
      },
    }));
    const staging = createLocalStaging(DIR, { fs: full });
    const checkpoints: number[] = [];
    const err = await staging
      .append('f8', 0, chunksOf(patternBytes(400_000, 11), 64 * 1024), {
        checkpointBytes: 64 * 1024,
        checkpointMs: 60_000,
        onCheckpoint: ({ offset }) => void checkpoints.push(offset),
      })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ kind: 'transient', code: 'no-space' });
    expect(m.vol.statSync(`${DIR}/f8.part`).size).toBe(room);
    expect(checkpoints).toEqual([65_536, 131_072]);
  });

  it('seals with the sha256 taken while writing when the appends covered the file from byte 0, and reads it back otherwise', async () => {
    const m = memFs();
    /** Part files opened for reading: a seal that hashes by reading back opens its part file so. */
    const readBack: string[] = [];
    const watched = {
      ...m.fs,
      open: async (path: string, flags: string | number): Promise<FsFileHandle> => {
        if (flags === 'r' && path.endsWith('.part')) readBack.push(path);
        return m.fs.open(path, flags);
      },
    };
    const bytes = patternBytes(500_000, 12);
    const staging = createLocalStaging(DIR, { fs: watched });
    // In slices, each going on where the last ended (a large file, 16 MiB a step in the downloader).
    await staging.append('a', 0, chunksOf(bytes.subarray(0, 200_000), 64 * 1024), noCheckpoint);
    await staging.append('a', 200_000, chunksOf(bytes.subarray(200_000), 64 * 1024), noCheckpoint);
    expect(await staging.seal('a')).toBe(sha256Hex(bytes));
    expect(readBack).toEqual([]);

    // Continued by another staging (the agent restarted): its seal reads the part file back.
    m.vol.writeFileSync(`${DIR}/b.part`, Buffer.from(bytes.subarray(0, 300_000)));
    const restarted = createLocalStaging(DIR, { fs: watched });
    await restarted.append('b', 300_000, chunksOf(bytes.subarray(300_000)), noCheckpoint);
    expect(await restarted.seal('b')).toBe(sha256Hex(bytes));
    expect(readBack).toEqual([`${DIR}/b.part`]);

    // Appended, then changed behind our back (another size): the running hash is not used.
    readBack.length = 0;
    await staging.append('c', 0, chunksOf(bytes), noCheckpoint);
    m.vol.truncateSync(`${DIR}/c.part`, 100_000);
    expect(await staging.seal('c')).toBe(sha256Hex(bytes.subarray(0, 100_000)));
    expect(readBack).toEqual([`${DIR}/c.part`]);
  });

  it('does not go on with a running hash past bytes a resume dropped, nor after a failed append', async () => {
    const m = memFs();
    const bytes = patternBytes(400_000, 13);
    const staging = createLocalStaging(DIR, { fs: m.fs });
    // 300,000 bytes written, 100,000 of them recorded: the resume truncates, the append goes on from the record.
    await staging.append('d', 0, chunksOf(bytes.subarray(0, 300_000)), noCheckpoint);
    expect(await staging.resume('d', 100_000)).toBe(100_000);
    await staging.append('d', 100_000, chunksOf(bytes.subarray(100_000)), noCheckpoint);
    expect(await staging.seal('d')).toBe(sha256Hex(bytes));

    // A stream that fails after some bytes: the bytes on disk are what the next append goes on from.
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield bytes.subarray(0, 150_000);
      throw new Error('link dropped');
    }
    await expect(staging.append('e', 0, failing(), noCheckpoint)).rejects.toThrow('link dropped');
    expect(await staging.resume('e', 150_000)).toBe(150_000);
    await staging.append('e', 150_000, chunksOf(bytes.subarray(150_000)), noCheckpoint);
    expect(await staging.seal('e')).toBe(sha256Hex(bytes));
  });
});
