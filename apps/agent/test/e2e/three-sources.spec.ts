import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCatalogForReading } from '@filesync/store';
import { worldsForTests, FTP_LOGIN, MIB, flightReviewHashes, hashTree, listTree, nasPath, settled, sha256File, waitForStatus, writeCameraFiles  } from './harness';

/**
 * Issue 9 acceptance: the real agent process (`filesync serve`) with every simulator as a process:
 * a simulated PX4 over UDP (`move`, to both targets), a FLIR flash drive (`move`) and an FTP camera
 * (`copy`, with a 100 MiB video) to a simulated FTP NAS and Flight Review (only `.ulg`).
 */
describe('e2e: 3 sources → 2 targets (real agent process, real simulators)', () => {
  const worlds = worldsForTests();

  it('delivers 300+ files (one of 100 MiB) byte-identical to every routed target; moves only files every routed target has; copies leave sources alone', async () => {
    const w = await worlds.create();
    // The camera's root is filled before its simulator starts (it leaves a non-empty root alone).
    await writeCameraFiles(w.simRoot('camera'), 160, { ulogEvery: 16, bigBytes: 100 * MIB });
    const [px4, flash, camera, nas, review] = await Promise.all([
      // MAVFTP moves a few hundred KiB/s at best: few, small logs.
      w.sim('px4', 'px4', ['--port', '0', '--no-pty', '--logs', '4', '--min-bytes', '20000', '--max-bytes', '150000']),
      w.sim('flash', 'flash', ['--port', '0', '--sessions', '4', '--images', '36', '--videos', '1', '--jpeg-kib', '20-120', '--video-mib', '1-3']),
      w.sim('ftp', 'camera', ['--port', '0']),
      w.sim('ftp', 'nas', ['--port', '0', '--no-seed']),
      w.sim('flight-review', 'review', ['--port', '0']),
    ]);
    const cardDir = String(flash.ready['mountPoint']);
    const flirId = `flir:${String(flash.ready['uuid'])}`;
    const px4LogDir = join(w.simRoot('px4'), 'fs', 'microsd', 'log');
    const before = {
      px4: await hashTree(px4LogDir, (p) => p.endsWith('.ulg')),
      flir: await hashTree(cardDir),
      camera: await hashTree(w.simRoot('camera')),
    };
    // Every file the routes take, by catalog source id and path, with where it must land on the NAS.
    const expected = new Map<string, { sourceId: string; path: string; sha256: string; size: number }>();
    for (const [sourceId, tree] of [['px4', before.px4], [flirId, before.flir], ['camera', before.camera]] as const) {
      for (const [path, f] of tree) expected.set(`${sourceId}\u0000${path}`, { sourceId, path, ...f });
    }
    const ulogs = [...expected.values()].filter((f) => f.path.endsWith('.ulg'));
    const total = expected.size;
    expect(total).toBeGreaterThanOrEqual(300);
    expect(Math.max(...[...expected.values()].map((f) => f.size))).toBeGreaterThanOrEqual(100 * MIB);
    expect(ulogs.filter((f) => f.sourceId === 'px4').length).toBe(4);

    const startedAt = Date.now();
    const url = await w.startAgent({
      ...w.baseConfig(),
      sources: [
        { id: 'px4', type: 'mavftp', link: `udpout:${String(px4.ready['udp'])}`, logDir: '/fs/microsd/log', pollIntervalSec: 2 },
        {
          id: 'flir',
          type: 'disk',
          match: { uuid: String(flash.ready['uuid']) },
          mountTable: String(flash.ready['mountTable']),
          diskDir: String(flash.ready['diskDir']),
          pollIntervalSec: 2,
        },
        { id: 'camera', type: 'ftp', url: String(camera.ready['ftp']), ...FTP_LOGIN, pollIntervalSec: 2 },
      ],
      targets: [
        { id: 'nas', type: 'ftp', url: String(nas.ready['ftp']), ...FTP_LOGIN, collision: 'rename' },
        { id: 'flight-review', type: 'http', mode: 'flight-review', url: String(review.ready['http']), fields: { description: 'filesync e2e' } },
      ],
      routes: [
        // Moved only once both targets have a log.
        { source: 'px4', targets: ['nas', 'flight-review'], filter: { include: ['**/*.ulg'] }, policy: 'move' },
        { source: 'flir', targets: ['nas'], policy: 'move' },
        { source: 'camera', targets: ['nas'], policy: 'copy' },
        { source: 'camera', targets: ['flight-review'], filter: { include: ['**/*.ulg'] } },
      ],
    });

    // While the agent runs, each time a moved file leaves its source every routed target must already hold it intact.
    const moved = [
      { sourceId: flirId, dir: cardDir, files: before.flir, gone: new Set<string>() },
      { sourceId: 'px4', dir: px4LogDir, files: before.px4, gone: new Set<string>() },
    ];
    const removedEarly: string[] = [];
    const sampleMoved = async (): Promise<void> => {
      for (const source of moved) {
        const present = await listTree(source.dir);
        for (const [path, f] of source.files) {
          if (present.has(path) || source.gone.has(path)) continue;
          source.gone.add(path);
          const onNas = await sha256File(join(w.simRoot('nas'), nasPath(source.sourceId, path))).catch(() => 'missing');
          if (onNas !== f.sha256) removedEarly.push(`${source.sourceId} ${path}: nas has ${onNas}`);
          if (path.endsWith('.ulg') && !(await flightReviewHashes(w.simRoot('review'))).includes(f.sha256)) removedEarly.push(`${source.sourceId} ${path}: not on Flight Review`);
        }
      }
    };
    const movedCount = before.flir.size + before.px4.size;
    const status = await waitForStatus(w, url, (s) => settled(s, total) && s.counts.files['removed'] === movedCount, `all ${total} files settled`, 200_000, sampleMoved);
    await sampleMoved();
    expect(status.counts.files).toMatchObject({ failed: 0, vanished: 0, removed: movedCount });
    const seconds = (Date.now() - startedAt) / 1000;
    expect(await w.stopAgent()).toBe(0);
    const bytes = [...expected.values()].reduce((n, f) => n + f.size, 0);
    console.info(JSON.stringify({ e2e: 'three-sources', files: total, bytes, seconds }));

    // Byte-identical on the NAS, nothing else there (no .part, no renamed duplicates).
    const nasTree = await hashTree(w.simRoot('nas'));
    expect(nasTree.size).toBe(total);
    for (const f of expected.values()) expect(nasTree.get(nasPath(f.sourceId, f.path))?.sha256, `${f.sourceId} ${f.path}`).toBe(f.sha256);
    // Flight Review got every .ulg (from the PX4 and the camera), once, and nothing else.
    expect(await flightReviewHashes(w.simRoot('review'))).toEqual(ulogs.map((f) => f.sha256).sort());

    // Under move: every card file and PX4 log is gone, and none before every routed target had it.
    for (const source of moved) expect(source.gone.size, source.sourceId).toBe(source.files.size);
    expect(removedEarly).toEqual([]);
    expect((await listTree(cardDir)).size).toBe(0);
    expect([...(await listTree(px4LogDir))].filter((p) => p.endsWith('.ulg'))).toEqual([]);
    // Under copy: the camera's files are all still there, unchanged.
    expect(await hashTree(w.simRoot('camera'))).toEqual(before.camera);

    // The catalog's history agrees: each removal comes after every routed target's upload.
    const catalog = openCatalogForReading(join(w.dataDir, 'catalog.db'));
    try {
      const files = catalog.listFiles();
      expect(files.length).toBe(total);
      for (const file of files) {
        const events = catalog.history(file.fileId);
        const uploaded = events.filter((e) => e.kind === 'target.state' && e.toState === 'uploaded').map((e) => e.id);
        const removed = events.filter((e) => e.toState === 'removed').map((e) => e.id);
        const targets = file.sourceId === 'camera' || file.sourceId === 'px4' ? (file.path.endsWith('.ulg') ? 2 : 1) : 1;
        expect(uploaded.length, `${file.sourceId} ${file.path}`).toBe(targets);
        if (file.sourceId !== 'camera') {
          expect(removed.length, file.path).toBe(1);
          expect(removed[0]!, file.path).toBeGreaterThan(Math.max(...uploaded));
        } else {
          expect(removed, file.path).toEqual([]);
        }
      }
    } finally {
      catalog.close();
    }
  }, 300_000);
});
