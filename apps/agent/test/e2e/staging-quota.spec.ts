import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { worldsForTests, FTP_LOGIN, MIB, hashTree, nasPath, settled, treeBytes, waitForCatalog, waitForStatus, writeCameraFiles  } from './harness';

/**
 * Issue 9 acceptance: with a staging quota far smaller than the data, the run still completes;
 * downloads wait instead. The NAS is slowed (bandwidth cap) so that, without the quota, the fast
 * sources would fill staging with most of the data.
 */
describe('e2e: a small staging quota (real agent process, real simulators)', () => {
  const worlds = worldsForTests();

  it('completes with staging held near the quota (downloads wait), including files larger than the quota', async () => {
    const w = await worlds.create();
    const quota = 4 * MIB;
    await writeCameraFiles(w.simRoot('camera'), 40, { maxBytes: 2 * MIB });
    const [flash, camera, nas] = await Promise.all([
      // Videos of 5–6 MiB: each larger than the quota, so each must start alone.
      w.sim('flash', 'flash', ['--port', '0', '--sessions', '3', '--images', '12', '--videos', '1', '--jpeg-kib', '100-300', '--video-mib', '5-6']),
      w.sim('ftp', 'camera', ['--port', '0']),
      w.sim('ftp', 'nas', ['--port', '0', '--no-seed', '--bandwidth', String(4 * MIB)]),
    ]);
    const cardDir = String(flash.ready['mountPoint']);
    const flirId = `flir:${String(flash.ready['uuid'])}`;
    const flirFiles = await hashTree(cardDir);
    const cameraFiles = await hashTree(w.simRoot('camera'));
    const expected = [
      ...[...flirFiles].map(([path, f]) => ({ sourceId: flirId, path, ...f })),
      ...[...cameraFiles].map(([path, f]) => ({ sourceId: 'camera', path, ...f })),
    ];
    const totalBytes = expected.reduce((n, f) => n + f.size, 0);
    const largest = (files: Map<string, { size: number }>): number => Math.max(...[...files.values()].map((f) => f.size));
    expect(largest(flirFiles)).toBeGreaterThan(quota);

    const url = await w.startAgent({
      ...w.baseConfig(),
      staging: { reserveBytes: 0, maxBytes: quota },
      sources: [
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
      targets: [{ id: 'nas', type: 'ftp', url: String(nas.ready['ftp']), ...FTP_LOGIN, collision: 'rename' }],
      routes: [
        { source: 'flir', targets: ['nas'], policy: 'move' },
        { source: 'camera', targets: ['nas'] },
      ],
    });

    // A new download starts only while less than the quota is held (files staged or downloading, at full
    // size, from the catalog every worker shares), so at most the quota plus one starting file per source
    // is ever held. Sampled between status polls, from the catalog and from the staging disk (which may
    // also still hold one just-delivered file while it is being removed).
    const bound = quota + largest(flirFiles) + largest(cameraFiles);
    const diskBound = bound + Math.max(largest(flirFiles), largest(cameraFiles));
    const catalog = await waitForCatalog(join(w.dataDir, 'catalog.db'));
    let peakHeld = 0;
    let peakDisk = 0;
    let waitedWhileHeld = false;
    try {
      const end = await waitForStatus(
        w,
        url,
        (s) => settled(s, expected.length) && s.counts.files['removed'] === flirFiles.size,
        'every file delivered',
        180_000,
        async (s) => {
          const held = [...catalog.listFiles({ state: 'staged' }), ...catalog.listFiles({ state: 'downloading' })].reduce((n, f) => n + f.size, 0);
          peakHeld = Math.max(peakHeld, held);
          peakDisk = Math.max(peakDisk, await treeBytes(join(w.dataDir, 'staging')));
          const f = s.counts.files;
          if ((f['found'] ?? 0) > 0 && held >= quota) waitedWhileHeld = true;
        },
      );
      expect(end.counts.files).toMatchObject({ failed: 0, vanished: 0, delivered: cameraFiles.size, removed: flirFiles.size });
    } finally {
      catalog.close();
    }
    expect(await w.stopAgent()).toBe(0);

    expect(peakHeld).toBeGreaterThan(0);
    expect(peakHeld).toBeLessThanOrEqual(bound);
    expect(peakDisk).toBeLessThanOrEqual(diskBound);
    expect(bound).toBeLessThan(totalBytes / 2);
    expect(waitedWhileHeld).toBe(true);
    const nasTree = await hashTree(w.simRoot('nas'));
    expect(nasTree.size).toBe(expected.length);
    for (const f of expected) expect(nasTree.get(nasPath(f.sourceId, f.path))?.sha256, `${f.sourceId} ${f.path}`).toBe(f.sha256);
    console.info(JSON.stringify({ e2e: 'staging-quota', files: expected.length, bytes: totalBytes, quota, peakHeldBytes: peakHeld, peakDiskBytes: peakDisk, bound }));
  }, 300_000);
});
