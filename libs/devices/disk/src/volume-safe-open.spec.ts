import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListProblem, Source, SourceEntry } from '@filesync/core';
import { type FlashSimProcess, startFlashSimProcess } from '../test/flash-sim-process';
import { createDiskDevice } from './disk-device';

const run = promisify(execFile);
let sim: FlashSimProcess;
let outside: string;
beforeAll(async () => {
  sim = await startFlashSimProcess(['--empty', '--no-insert']);
  outside = await mkdtemp(join(tmpdir(), 'fs-outside-'));
  await writeFile(join(outside, 'secret.txt'), 'secret');
});
afterAll(async () => {
  await sim?.stop();
  await rm(outside, { recursive: true, force: true });
});

/** A card with `files` inserted and its volume source; `mounted` is where its files are while inserted. */
async function withCard(files: Record<string, string>, test: (source: Source, mounted: string) => Promise<void>): Promise<void> {
  const card = await sim.post<{ uuid: string }>('/cards', { content: false });
  const dir = sim.cardDir(card.uuid);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await sim.post('/insert', { uuid: card.uuid });
  const device = createDiskDevice({ id: 'flir', match: { uuid: card.uuid }, mountTable: sim.ready.mountTable, diskDir: sim.ready.diskDir, readChunkBytes: 4096, mountPollMs: 60_000 });
  await device.start();
  try {
    const source = device.current();
    if (!source) throw new Error('the device did not see the card');
    await test(source, source.drive.mountPoint);
  } finally {
    await device.close();
    await sim.post('/unplug');
  }
}

async function text(source: Source, path: string): Promise<string> {
  let out = '';
  for await (const chunk of source.read(path, 0)) out += Buffer.from(chunk).toString();
  return out;
}

async function listing(source: Source): Promise<{ paths: string[]; problems: ListProblem[] }> {
  const entries: SourceEntry[] = [];
  const problems: ListProblem[] = [];
  for await (const e of source.list({ onProblem: (p) => problems.push(p) })) entries.push(e);
  return { paths: entries.map((e) => e.path).sort(), problems };
}

describe('removable drive: safe opens', () => {
  it('a listed file swapped for a FIFO is refused at once, naming what it is', async () => {
    await withCard({ 'DCIM/a.jpg': 'jpeg' }, async (source, dir) => {
      expect((await listing(source)).paths).toEqual(['DCIM/a.jpg']);
      await rm(join(dir, 'DCIM/a.jpg'));
      await run('mkfifo', [join(dir, 'DCIM/a.jpg')]);
      await expect(text(source, 'DCIM/a.jpg')).rejects.toMatchObject({ kind: 'permanent', message: expect.stringMatching(/DCIM\/a\.jpg is a FIFO/) });
      expect((await listing(source)).paths).toEqual([]);
      await expect(source.remove?.('DCIM/a.jpg')).rejects.toMatchObject({ kind: 'permanent' });
    });
  });

  it('symlinks are not listed, not read, not removed through, and a parent swapped for one cannot lead out', async () => {
    await withCard({ 'DCIM/a.jpg': 'mine', 'DCIM/b.jpg': 'mine too' }, async (source, dir) => {
      await symlink(join(outside, 'secret.txt'), join(dir, 'link.jpg'));
      await symlink(dir, join(dir, 'DCIM', 'loop'));
      expect(await listing(source)).toEqual({ paths: ['DCIM/a.jpg', 'DCIM/b.jpg'], problems: [] });
      await rm(join(dir, 'DCIM/a.jpg'));
      await symlink(join(outside, 'secret.txt'), join(dir, 'DCIM/a.jpg'));
      await expect(text(source, 'DCIM/a.jpg')).rejects.toMatchObject({ kind: 'permanent', message: expect.stringMatching(/is a symlink/) });
      await rm(join(dir, 'DCIM'), { recursive: true });
      await mkdir(join(outside, 'DCIM'), { recursive: true });
      await writeFile(join(outside, 'DCIM', 'b.jpg'), 'not on the card');
      await symlink(join(outside, 'DCIM'), join(dir, 'DCIM'));
      await expect(text(source, 'DCIM/b.jpg')).rejects.toMatchObject({ kind: 'permanent', message: expect.stringMatching(/outside the source/) });
      await expect(source.remove?.('DCIM/b.jpg')).rejects.toMatchObject({ kind: 'permanent' });
      await expect(text(createDiskless(outside), 'DCIM/b.jpg')).resolves.toBe('not on the card');
    });
  });
});

/** The outside directory is untouched: read it plainly. */
function createDiskless(dir: string): Source {
  return {
    id: 'plain',
    features: { canResume: false, canRemove: false, hashes: [], parallelism: 1 },
    list: async function* () {},
    read: async function* (path: string) {
      const { readFile } = await import('node:fs/promises');
      yield new Uint8Array(await readFile(join(dir, path)));
    },
    close: async () => undefined,
  };
}
