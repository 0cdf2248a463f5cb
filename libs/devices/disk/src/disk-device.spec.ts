import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { caught, collect } from '@filesync/core/testing';
import { type FlashSimProcess, startFlashSimProcess } from '../test/flash-sim-process';
import { type DiskDevice, type DiskDeviceOptions, type DiskEvent, createDiskDevice } from './disk-device';

interface Card {
  uuid: string;
  label: string;
  files: Array<{ path: string; size: number }>;
}

// Small stills and one video per session, read in 4 KiB chunks: several chunks per file.
const CONTENT = { sessions: 1, imagesPerSession: 4, videosPerSession: 1, jpegBytes: [20_000, 30_000], videoBytes: [60_000, 80_000] };
const CHUNK = 4096;

describe('disk device against the flash simulator', () => {
  let sim: FlashSimProcess;
  let card: Card;
  const devices: DiskDevice[] = [];

  beforeAll(async () => {
    sim = await startFlashSimProcess(['--empty', '--no-insert']);
  });
  afterAll(async () => {
    await sim?.stop();
  });
  afterEach(async () => {
    for (const d of devices.splice(0)) await d.close();
    await sim.post('/faults/clear');
    await sim.post('/unplug');
  });

  const newCard = async (body: Record<string, unknown> = {}): Promise<Card> => sim.post<Card>('/cards', { seed: 11, content: CONTENT, ...body });
  const device = async (options: Partial<DiskDeviceOptions> = {}): Promise<DiskDevice> => {
    const d = createDiskDevice({
      id: 'flir',
      match: { label: 'FLIR' },
      mountTable: sim.ready.mountTable,
      diskDir: sim.ready.diskDir,
      readChunkBytes: CHUNK,
      mountPollMs: 20,
      readGate: sim.gate,
      ...options,
    });
    devices.push(d);
    await d.start();
    return d;
  };
  const until = async <T>(what: string, probe: () => T | undefined): Promise<T> => {
    // Bounded, with room for a loaded 2-core machine: the watcher polls every 20 ms.
    for (let i = 0; i < 1000; i++) {
      const value = probe();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('finds the drive by UUID, label or mount point and names the source after the volume UUID', async () => {
    card = await newCard();
    await sim.post('/insert', { uuid: card.uuid });
    const mountPoint = sim.ready.mountPoint;
    for (const match of [{ uuid: card.uuid }, { label: 'FLIR' }, { mountPoint }, { uuid: card.uuid.toLowerCase(), label: 'FLIR' }]) {
      const d = await device({ match });
      expect(d.current()?.id, JSON.stringify(match)).toBe(`flir:${card.uuid}`);
      expect(d.current()?.drive).toMatchObject({ uuid: card.uuid, label: 'FLIR', mountPoint });
    }
    expect((await device({ match: { uuid: 'DEAD-BEEF' } })).current()).toBeUndefined();
    expect((await device({ match: { label: 'OTHER' } })).current()).toBeUndefined();
  });

  it('reports drive-removed and drive-mounted from the mount table by itself (polling)', async () => {
    card = await newCard();
    const d = await device();
    const events: DiskEvent[] = [];
    d.subscribe((e) => events.push(e));
    expect(d.current()).toBeUndefined();
    await sim.post('/insert', { uuid: card.uuid });
    await until('mounted', () => events.find((e) => e.type === 'disk.drive-mounted'));
    await sim.post('/unplug');
    const removed = await until('removed', () => events.find((e) => e.type === 'disk.drive-removed'));
    expect(removed).toMatchObject({ sourceId: `flir:${card.uuid}` });
    expect(d.current()).toBeUndefined();
    expect(d.status()).toMatchObject({ mounted: false, error: undefined });
  });

  it('turns a pull in the middle of a file into transient device-gone, and resumes from the offset after re-insert', async () => {
    card = await newCard();
    await sim.post('/insert', { uuid: card.uuid });
    const d = await device();
    const file = card.files.find((f) => f.path.endsWith('.mp4'))!;
    const expected = await readFile(join(sim.ready.mountPoint, file.path));
    await sim.post('/faults/unplug-after', { path: file.path, bytes: 5 * CHUNK + 100 });
    const got: Uint8Array[] = [];
    const err = await caught(async () => {
      for await (const chunk of d.current()!.read(file.path, 0)) got.push(chunk);
    });
    expect(err).toMatchObject({ kind: 'transient', code: 'device-gone' });
    const have = Buffer.concat(got);
    expect(have.length).toBe(5 * CHUNK);
    const old = d.current();
    await sim.post('/insert', { uuid: card.uuid });
    const again = await until('re-mounted', () => (d.current() !== old ? d.current() : undefined));
    expect(again.id).toBe(`flir:${card.uuid}`);
    const rest = await collect(again.read(file.path, have.length));
    expect(Buffer.concat([have, rest]).equals(expected)).toBe(true);
  });

  it('says device-gone, not not-found, for list, read and remove once the drive is pulled', async () => {
    card = await newCard();
    await sim.post('/insert', { uuid: card.uuid });
    const d = await device({ mountPollMs: 60_000 });
    const source = d.current()!;
    await sim.post('/unplug');
    expect(await caught(() => collect(source.read(card.files[0]!.path, 0)))).toMatchObject({ code: 'device-gone' });
    expect(await caught(() => collect(source.read(card.files[0]!.path, 100)))).toMatchObject({ code: 'device-gone' });
    expect(
      await caught(async () => {
        for await (const _ of source.list());
      }),
    ).toMatchObject({ code: 'device-gone' });
    expect(await caught(() => source.remove!(card.files[0]!.path))).toMatchObject({ code: 'device-gone' });
  });

  it('gives up a file that fails the same way N times, with the reason, and reads the others', async () => {
    card = await newCard();
    await sim.post('/insert', { uuid: card.uuid });
    const d = await device({ maxReadFailures: 3 });
    const [bad, good] = card.files;
    await sim.post('/faults/unreadable', { path: bad!.path, offset: 2 * CHUNK + 10 });
    const errors = [];
    for (let i = 0; i < 3; i++) errors.push(await caught(() => collect(d.current()!.read(bad!.path, 0))));
    expect(errors.map((e) => (e as { kind: string }).kind)).toEqual(['transient', 'transient', 'permanent']);
    expect(errors[2]).toMatchObject({ code: 'corrupt', detail: { path: bad!.path, offset: 2 * CHUNK, errno: 'EIO', attempts: 3 } });
    expect(String((errors[2] as Error).message)).toContain('EIO');
    expect(d.failures.failures()).toEqual([expect.objectContaining({ path: bad!.path, failed: true, attempts: 3 })]);
    expect((await collect(d.current()!.read(good!.path, 0))).length).toBe(good!.size);
  });

  it('tells a different card with the same names apart: another source id, its own bytes', async () => {
    const first = await newCard({ seed: 21 });
    const second = await newCard({ seed: 21 });
    expect(second.files.map((f) => f.path)).toEqual(first.files.map((f) => f.path));
    await sim.post('/insert', { uuid: first.uuid });
    const d = await device();
    const a = d.current()!;
    const bytesA = await collect(a.read(first.files[0]!.path, 0));
    await sim.post('/insert', { uuid: second.uuid });
    const b = await until('second card', () => (d.current()?.id === `flir:${second.uuid}` ? d.current() : undefined));
    expect(b.id).not.toBe(a.id);
    const bytesB = await collect(b.read(first.files[0]!.path, 0));
    expect(Buffer.from(bytesA).equals(Buffer.from(bytesB))).toBe(false);
    // The first card's source must not read the second card's bytes under the same name.
    expect(await caught(() => collect(a.read(first.files[0]!.path, 0)))).toMatchObject({ code: 'device-gone' });
    // A device matching the first card by UUID does not take the second.
    expect((await device({ match: { uuid: first.uuid } })).current()).toBeUndefined();
  });

  it('keeps going when the mount table cannot be read, and says why in status', async () => {
    const d = await device({ mountTable: join(sim.root, 'no-such-table') });
    expect(d.current()).toBeUndefined();
    expect(d.status().error).toMatchObject({ code: 'not-found' });
  });
});
