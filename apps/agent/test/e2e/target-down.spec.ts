import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { worldsForTests, FTP_LOGIN, type StatusBody, flightReviewHashes, hashTree, nasPath, settled, waitForStatus, writeCameraFiles  } from './harness';

/**
 * Issue 9 acceptance: a target down for the first half of the run. The FTP NAS simulator starts
 * with its port closed (fault `refuse connections`); Flight Review must get all its files meanwhile,
 * and the NAS must catch up once its port opens again.
 */
describe('e2e: one target down for the first half of the run (real agent process, real simulators)', () => {
  const worlds = worldsForTests();

  it('the other target completes while it is down, and it catches up when it returns', async () => {
    const w = await worlds.create();
    await writeCameraFiles(w.simRoot('camera'), 60, { ulogEvery: 4 });
    const [px4, camera, nas, review] = await Promise.all([
      w.sim('px4', 'px4', ['--port', '0', '--no-pty', '--logs', '3', '--min-bytes', '20000', '--max-bytes', '100000']),
      w.sim('ftp', 'camera', ['--port', '0']),
      // Closed from the start until the test opens it (no timer decides when it returns).
      w.sim('ftp', 'nas', ['--port', '0', '--no-seed', '--refuse-for-ms', '600000']),
      w.sim('flight-review', 'review', ['--port', '0']),
    ]);
    const px4Logs = await hashTree(join(w.simRoot('px4'), 'fs', 'microsd', 'log'), (p) => p.endsWith('.ulg'));
    const cameraFiles = await hashTree(w.simRoot('camera'));
    const expected = [
      ...[...px4Logs].map(([path, f]) => ({ sourceId: 'px4', path, ...f })),
      ...[...cameraFiles].map(([path, f]) => ({ sourceId: 'camera', path, ...f })),
    ];
    const ulogs = expected.filter((f) => f.path.endsWith('.ulg'));
    expect(ulogs.length).toBe(3 + 15);

    const url = await w.startAgent({
      ...w.baseConfig(),
      sources: [
        { id: 'px4', type: 'mavftp', link: `udpout:${String(px4.ready['udp'])}`, logDir: '/fs/microsd/log', pollIntervalSec: 2 },
        { id: 'camera', type: 'ftp', url: String(camera.ready['ftp']), ...FTP_LOGIN, pollIntervalSec: 2 },
      ],
      targets: [
        { id: 'nas', type: 'ftp', url: String(nas.ready['ftp']), ...FTP_LOGIN, collision: 'rename' },
        { id: 'flight-review', type: 'http', mode: 'flight-review', url: String(review.ready['http']), fields: { description: 'filesync e2e' } },
      ],
      routes: [
        { source: 'px4', targets: ['nas', 'flight-review'], filter: { include: ['**/*.ulg'] } },
        { source: 'camera', targets: ['nas'] },
        { source: 'camera', targets: ['flight-review'], filter: { include: ['**/*.ulg'] } },
      ],
    });

    // First half: the NAS is down; Flight Review gets every .ulg without waiting for it.
    const uploaded = (s: StatusBody, target: string): number => s.counts.byTarget[target]?.['uploaded'] ?? 0;
    const half = await waitForStatus(w, url, (s) => uploaded(s, 'flight-review') === ulogs.length, 'Flight Review complete', 120_000);
    expect(uploaded(half, 'nas')).toBe(0);
    expect(half.health.targets['nas']?.state).toMatch(/^(down|degraded)$/);
    expect(half.health.targets['nas']?.cause?.code).toBeTruthy();
    expect(half.health.targets['flight-review']?.state).toBe('up');
    expect(await flightReviewHashes(w.simRoot('review'))).toEqual(ulogs.map((f) => f.sha256).sort());
    expect((await hashTree(w.simRoot('nas'))).size).toBe(0);

    // Second half: the NAS opens its port again (a new refuse period of 1 ms replaces the long one).
    const reopened = await fetch(`${String(nas.ready['control'])}/faults`, { method: 'POST', body: JSON.stringify({ refuseForMs: 1 }), headers: { 'content-type': 'application/json' } });
    expect(reopened.status).toBe(200);
    const end = await waitForStatus(w, url, (s) => settled(s, expected.length), 'the NAS caught up', 120_000);
    expect(end.counts.files).toMatchObject({ delivered: expected.length, failed: 0, vanished: 0 });
    expect(end.health.targets['nas']?.state).toBe('up');
    expect(await w.stopAgent()).toBe(0);

    const nasTree = await hashTree(w.simRoot('nas'));
    expect(nasTree.size).toBe(expected.length);
    for (const f of expected) expect(nasTree.get(nasPath(f.sourceId, f.path))?.sha256, `${f.sourceId} ${f.path}`).toBe(f.sha256);
    // Flight Review was not sent anything twice meanwhile.
    expect((await flightReviewHashes(w.simRoot('review'))).length).toBe(ulogs.length);
  }, 300_000);
});
