import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DiskDevice, createDiskDevice } from '../src/disk-device';
import { TestCatalog, copyDrive } from './copy-driver';
import { type FlashSimProcess, startFlashSimProcess } from './flash-sim-process';
import { createTestStaging } from './test-staging';

interface Card {
  uuid: string;
  label: string;
  files: Array<{ path: string; size: number }>;
}

const CHUNK = 4096;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Seeded choice of test points, so a failing run can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

describe('copying a card end to end through the disk device (flash simulator)', () => {
  let sim: FlashSimProcess;
  const cleanups: Array<() => Promise<void>> = [];
  const armed = new Set<string>();

  beforeAll(async () => {
    sim = await startFlashSimProcess(['--empty', '--no-insert']);
  });
  afterAll(async () => {
    await sim?.stop();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    armed.clear();
    await sim.post('/faults/clear');
    await sim.post('/unplug');
  });

  const setup = async (match: { uuid?: string; label?: string }): Promise<{ device: DiskDevice; catalog: TestCatalog; staging: ReturnType<typeof createTestStaging> }> => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-disk-staging-'));
    const device = createDiskDevice({
      id: 'flir',
      match,
      mountTable: sim.ready.mountTable,
      diskDir: sim.ready.diskDir,
      readChunkBytes: CHUNK,
      mountPollMs: 50,
      // Only reads of files with a fault armed go through the simulator's gate: an HTTP round trip per
      // chunk would triple this suite's time on a busy machine and change nothing for the other files.
      readGate: (r) => (armed.has(r.path) ? sim.gate(r) : undefined),
    });
    cleanups.push(
      () => rm(dir, { recursive: true, force: true }),
      () => device.close(),
    );
    await device.start();
    // These tests are about reading the card; staging durability is device-local's (a datasync costs
    // ~8 ms per file on the CI VM, which would double this suite's time for nothing it checks).
    return { device, catalog: new TestCatalog(), staging: createTestStaging(dir, { durable: false }) };
  };

  /** sha256 of each file as it is on the card (read behind the device's back). */
  const cardHashes = async (card: Card): Promise<Map<string, string>> => {
    const inserted = (await sim.get<{ inserted: { uuid: string } | null }>('/state')).inserted;
    const dir = inserted?.uuid === card.uuid ? sim.ready.mountPoint : sim.cardDir(card.uuid);
    const hashes = new Map<string, string>();
    for (const f of card.files) hashes.set(f.path, sha256(await readFile(join(dir, f.path))));
    return hashes;
  };

  it('copies a card of 510 files through 20 unplugs mid-file: all byte-identical, re-reading nothing beyond a chunk per unplug', async () => {
    const card = await sim.post<Card>('/cards', {
      seed: 7,
      content: { sessions: 10, imagesPerSession: 50, videosPerSession: 1, jpegBytes: [5_000, 10_000], videoBytes: [30_000, 60_000] },
    });
    expect(card.files.length).toBeGreaterThanOrEqual(500);
    await sim.post('/insert', { uuid: card.uuid });

    // Fault: the drive is pulled at 20 seeded points, each after at least one chunk of its file was read.
    const random = lcg(20190403);
    const picked = new Set<number>();
    while (picked.size < 20) picked.add(Math.floor(random() * card.files.length));
    for (const i of picked) {
      const f = card.files[i]!;
      armed.add(f.path);
      await sim.post('/faults/unplug-after', { path: f.path, bytes: CHUNK + Math.floor(random() * (f.size - CHUNK - 1)) });
    }

    const { device, catalog, staging } = await setup({ uuid: card.uuid });
    const report = await copyDrive({
      device,
      staging,
      catalog,
      checkpointBytes: 1024 * 1024,
      onDeviceGone: async () => void (await sim.post('/insert', { uuid: card.uuid })),
    });

    expect(report.deviceGone).toBe(20);
    expect((await sim.get<{ faults: { unplugAfter: unknown[] } }>('/state')).faults.unplugAfter).toEqual([]);
    expect(catalog.failed.size).toBe(0);
    expect(catalog.staged.size).toBe(card.files.length);
    const total = card.files.reduce((n, f) => n + f.size, 0);
    expect(report.bytesRead).toBeGreaterThanOrEqual(total);
    expect(report.bytesRead).toBeLessThanOrEqual(total + 20 * CHUNK);
    const byPath = new Map([...catalog.staged.values()].map((s) => [s.path, s]));
    const hashes = await cardHashes(card);
    for (const f of card.files) {
      const staged = byPath.get(f.path);
      expect(staged?.sourceId, f.path).toBe(`flir:${card.uuid}`);
      expect(staged?.sha256, f.path).toBe(hashes.get(f.path));
      expect(sha256(await readFile(staging.pathOf(staged!.fileId))), f.path).toBe(hashes.get(f.path));
    }
  });

  it('keeps all files of two cards with the same names, told apart by volume, and a re-inserted card continues', async () => {
    const content = { sessions: 2, imagesPerSession: 10, videosPerSession: 1, jpegBytes: [3_000, 9_000], videoBytes: [20_000, 30_000] };
    const first = await sim.post<Card>('/cards', { seed: 99, content });
    const second = await sim.post<Card>('/cards', { seed: 99, content });
    expect(second.files.map((f) => f.path)).toEqual(first.files.map((f) => f.path));
    const { device, catalog, staging } = await setup({ label: 'FLIR' });
    const options = { device, staging, catalog, checkpointBytes: 1024 * 1024 };

    await sim.post('/insert', { uuid: first.uuid });
    await copyDrive(options);
    await sim.post('/insert', { uuid: second.uuid });
    await copyDrive(options);
    await sim.post('/insert', { uuid: first.uuid });
    const again = await copyDrive(options);

    expect(again.bytesRead).toBe(0);
    expect(catalog.staged.size).toBe(first.files.length + second.files.length);
    for (const card of [first, second]) {
      const mine = [...catalog.staged.values()].filter((s) => s.sourceId === `flir:${card.uuid}`);
      expect(mine.map((s) => s.path).sort()).toEqual(card.files.map((f) => f.path).sort());
      const hashes = await cardHashes(card);
      for (const s of mine) expect(s.sha256, `${card.uuid} ${s.path}`).toBe(hashes.get(s.path));
    }
    const clash = first.files[0]!.path;
    const both = [...catalog.staged.values()].filter((s) => s.path === clash);
    expect(new Set(both.map((s) => s.sha256)).size).toBe(2);
  });

  it('marks a permanently unreadable file failed with its reason, and completes all the others', async () => {
    const card = await sim.post<Card>('/cards', {
      seed: 13,
      content: { sessions: 2, imagesPerSession: 12, videosPerSession: 1, jpegBytes: [3_000, 9_000], videoBytes: [20_000, 30_000] },
    });
    await sim.post('/insert', { uuid: card.uuid });
    const bad = card.files[5]!;
    // Fault: a bad cluster; every read reaching past byte 4100 of this file fails with EIO.
    armed.add(bad.path);
    await sim.post('/faults/unreadable', { path: bad.path, offset: 4100 });
    const { device, catalog, staging } = await setup({ uuid: card.uuid });
    await copyDrive({ device, staging, catalog, checkpointBytes: 1024 * 1024 });

    expect([...catalog.failed.values()]).toEqual([
      expect.objectContaining({
        path: bad.path,
        reason: expect.objectContaining({ kind: 'permanent', code: 'corrupt', detail: expect.objectContaining({ errno: 'EIO', attempts: 3 }) }),
      }),
    ]);
    expect(catalog.staged.size).toBe(card.files.length - 1);
    const hashes = await cardHashes(card);
    for (const s of catalog.staged.values()) expect(s.sha256).toBe(hashes.get(s.path));
  });
});
