import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patternBytes } from '@filesync/core/testing';
import { worldsForTests, FTP_LOGIN, MIB, hashTree, nasPath, sha256, waitForCatalog, waitForStatus  } from './harness';

/**
 * Issue 17 item 1 through the real agent, policy `move`: a camera writes a new picture under the
 * name of one being uploaded (its counter restarted after a format). Before, the cleaner removed
 * the path once the old version was delivered, and the new picture was lost without ever being
 * copied. Now the cleaner removes only the version the NAS verified; the new one is kept, found at
 * the next listing, moved in its turn.
 */
describe('e2e: a file rewritten under the same name while it is delivered (real agent process, FTP NAS simulator)', () => {
  const worlds = worldsForTests();

  it('keeps the new version until it is on the NAS too, then moves it', async () => {
    const w = await worlds.create();
    const camera = w.simRoot('camera');
    const old = patternBytes(6 * MIB, 1);
    const fresh = patternBytes(3 * MIB + 7, 2);
    await mkdir(join(camera, 'DCIM'), { recursive: true });
    await writeFile(join(camera, 'DCIM', 'IMG_0001.JPG'), old);
    // 1 MiB/s: the upload of the old version takes about 6 s, time to rewrite the file under it.
    const nas = await w.sim('ftp', 'nas', ['--port', '0', '--no-seed', '--bandwidth', String(MIB)]);
    const url = await w.startAgent({
      ...w.baseConfig(),
      // A listing long after the first: the cleaner meets the new version before the finder does.
      sources: [{ id: 'camera', type: 'local', dir: camera, pollIntervalSec: 25, settleSec: 1 }],
      targets: [{ id: 'nas', type: 'ftp', url: String(nas.ready['ftp']), ...FTP_LOGIN, collision: 'rename' }],
      routes: [{ source: 'camera', targets: ['nas'], policy: 'move' }],
    });
    await waitForStatus(w, url, (s) => (s.counts.byTarget['nas']?.['uploading'] ?? 0) === 1, 'the old version uploading', 60_000);
    await writeFile(join(camera, 'DCIM', 'IMG_0001.JPG'), fresh);
    await waitForStatus(w, url, (s) => (s.counts.files['delivered'] ?? 0) >= 1, 'the old version delivered', 60_000);
    // The cleaner is woken by the delivery: whatever it did, it did in this second.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await readdir(join(camera, 'DCIM'))).toEqual(['IMG_0001.JPG']);
    // The next listing finds the new version; it is copied and then moved.
    await waitForStatus(w, url, (s) => (s.counts.files['removed'] ?? 0) >= 1, 'the new version moved', 90_000);
    expect(await readdir(join(camera, 'DCIM'))).toEqual([]);
    expect(await w.stopAgent()).toBe(0);

    const nasTree = await hashTree(w.simRoot('nas'));
    expect([...nasTree.values()].map((f) => f.sha256).sort()).toEqual([sha256(old), sha256(fresh)].sort());
    expect(nasTree.get(nasPath('camera', 'DCIM/IMG_0001.JPG'))?.sha256).toBe(sha256(old));
    const catalog = await waitForCatalog(join(w.dataDir, 'catalog.db'));
    try {
      const versions = catalog.listFiles({ sourceId: 'camera' });
      expect(versions.find((f) => f.size === fresh.length)?.state).toBe('removed');
      // The version that was delivered first stays as it was recorded: it never left the source as itself.
      expect(versions.find((f) => f.size === old.length)?.fingerprint).toMatch(/\S/);
    } finally {
      catalog.close();
    }
  }, 240_000);
});
