import { mkdtemp, readFile, readdir, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FlashSimulator, startFlashSimulator } from './flash-simulator';

const small = { sessions: 1, imagesPerSession: 4, videosPerSession: 1, jpegBytes: [3000, 5000], videoBytes: [20_000, 30_000] } as const;

describe('flash simulator', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const start = async (options: { seed?: number; insert?: boolean } = {}): Promise<FlashSimulator> => {
    const root = await mkdtemp(join(tmpdir(), 'fs-flash-sim-'));
    const sim = await startFlashSimulator({ root, content: small, ...options });
    cleanups.push(() => rm(root, { recursive: true, force: true }), () => sim.close());
    return sim;
  };

  it('mounts the card: files at the mount point, a mountinfo line, and udev-style links', async () => {
    const sim = await start();
    const mountPoint = sim.mountPointOf();
    expect((await readdir(mountPoint)).length).toBe(1);
    const table = await readFile(sim.mountTable, 'utf8');
    expect(table).toContain(` ${mountPoint} `);
    expect(table).toContain(' - vfat ');
    const device = await realpath(join(sim.diskDir, 'by-uuid', sim.card.uuid));
    expect(await realpath(join(sim.diskDir, 'by-label', 'FLIR'))).toBe(device);
    expect(table).toContain(` ${device} `);
  });

  it('unplugs: files gone from the mount point, line and links gone; re-insert brings all back', async () => {
    const sim = await start();
    const file = join(sim.mountPointOf(), sim.card.files[0]!.path);
    const before = await readFile(file);
    await sim.unplug();
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(sim.mountTable, 'utf8')).not.toContain(sim.mountPointOf());
    expect(await readdir(join(sim.diskDir, 'by-uuid'))).toEqual([]);
    await sim.insert();
    expect((await readFile(file)).equals(before)).toBe(true);
  });

  it('pulls the drive when a read reaches past the armed byte, once', async () => {
    const sim = await start();
    const path = sim.card.files[1]!.path;
    sim.setUnplugAfter(path, 2000);
    expect(await sim.gate({ path, offset: 0, length: 1024 })).toEqual({ action: 'ok' });
    expect(sim.inserted()).toBeDefined();
    expect(await sim.gate({ path, offset: 1024, length: 1024 })).toEqual({ action: 'ok' });
    expect(sim.inserted()).toBeUndefined();
    await expect(stat(join(sim.mountPointOf(), path))).rejects.toMatchObject({ code: 'ENOENT' });
    await sim.insert();
    await sim.gate({ path, offset: 1024, length: 1024 });
    expect(sim.inserted()).toBeDefined();
  });

  it('fails reads of an unreadable file past its bad offset, every time, and only that file', async () => {
    const sim = await start();
    const [a, b] = sim.card.files;
    sim.setUnreadable(a!.path, { offset: 1500 });
    expect(await sim.gate({ path: a!.path, offset: 0, length: 1024 })).toEqual({ action: 'ok' });
    for (let i = 0; i < 3; i++) expect(await sim.gate({ path: a!.path, offset: 1024, length: 1024 })).toEqual({ action: 'fail', errno: 'EIO' });
    expect(await sim.gate({ path: b!.path, offset: 1024, length: 1024 })).toEqual({ action: 'ok' });
  });

  it('holds a hung read until the faults are cleared', async () => {
    const sim = await start();
    const path = sim.card.files[0]!.path;
    sim.setHang(path);
    let settled = false;
    const pending = sim.gate({ path, offset: 0, length: 10 }).then((r) => ((settled = true), r));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    sim.clearFaults();
    expect(await pending).toEqual({ action: 'ok' });
  });

  it('answers reads slowly when asked to, until the faults are cleared', async () => {
    const sim = await start();
    sim.setSlow(60_000);
    let settled = false;
    const pending = sim.gate({ path: sim.card.files[0]!.path, offset: 0, length: 10 }).then((r) => ((settled = true), r));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    expect(sim.state().faults.slowMs).toBe(60_000);
    sim.clearFaults();
    expect(await pending).toEqual({ action: 'ok' });
  });

  it('inserts a different card with clashing names at the same mount point', async () => {
    const sim = await start({ seed: 4 });
    const other = await sim.createCard({ seed: 4, content: small });
    expect(other.uuid).not.toBe(sim.card.uuid);
    expect(other.files.map((f) => f.path)).toEqual(sim.card.files.map((f) => f.path));
    const path = join(sim.mountPointOf(), sim.card.files[0]!.path);
    const first = await readFile(path);
    await sim.insert(other.uuid);
    expect(sim.inserted()?.uuid).toBe(other.uuid);
    expect((await readFile(path)).equals(first)).toBe(false);
    expect(await readdir(join(sim.diskDir, 'by-uuid'))).toEqual([other.uuid]);
  });

  it('starts again on the same root, keeping its cards and not regenerating them', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fs-flash-sim-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const first = await startFlashSimulator({ root, content: small });
    const file = join(first.mountPointOf(), first.card.files[0]!.path);
    const mtime = (await stat(file)).mtimeMs;
    await first.close();
    const second = await startFlashSimulator({ root, content: small });
    cleanups.push(() => second.close());
    expect(second.card.uuid).toBe(first.card.uuid);
    expect((await stat(file)).mtimeMs).toBe(mtime);
    expect(second.state().cards).toHaveLength(1);
  });
});
