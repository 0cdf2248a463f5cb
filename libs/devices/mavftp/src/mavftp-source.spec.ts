import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeSourceConformance } from '@filesync/core/testing';
import { createMavftpSource } from './mavftp-source';
import { type Px4Sim, startPx4Sim } from './testing/px4-sim';

// One simulator for the file (SITL's 15000-byte TX budget); each case gets its own directory on the "SD card".
let sim: Promise<{ sim: Px4Sim; root: string }> | undefined;
let n = 0;
const shared = (): Promise<{ sim: Px4Sim; root: string }> => {
  sim ??= (async () => {
    const root = await mkdtemp(join(tmpdir(), 'fs-px4-conf-'));
    return { sim: await startPx4Sim(root, ['--no-pty', '--tx-buffer', '15000'], { removeRoot: true }), root };
  })();
  return sim;
};
afterAll(async () => {
  await (await sim)?.sim.stop();
});

for (const px4 of ['main', 'v1.15'] as const) {
  describeSourceConformance(`PX4 ${px4} over MAVLink FTP (simulator, UDP)`, {
    async setup(files) {
      const { sim: s, root } = await shared();
      const logDir = `/fs/microsd/t${++n}`;
      await mkdir(join(root, logDir), { recursive: true });
      for (const [path, bytes] of Object.entries(files)) {
        await mkdir(dirname(join(root, logDir, path)), { recursive: true });
        await writeFile(join(root, logDir, path), bytes);
      }
      // v1.15: no ListDirectoryWithTime (the client falls back), NuttX-style listings.
      await s.post('/faults', { px4 });
      const source = createMavftpSource({ id: 'px4', link: `udpout:${s.udp}`, logDir });
      return { source, cleanup: () => rm(join(root, logDir), { recursive: true, force: true }) };
    },
  });
}

describe('MavftpSource.roundTripMs', () => {
  it('is undefined before the link is used (reading it connects nothing), then the smoothed round trip of the requests', async () => {
    const { sim: s, root } = await shared();
    const logDir = `/fs/microsd/t${++n}`;
    await mkdir(join(root, logDir), { recursive: true });
    await writeFile(join(root, logDir, 'a.ulg'), 'ulog');
    const source = createMavftpSource({ id: 'px4', link: `udpout:${s.udp}`, logDir });
    try {
      expect(source.roundTripMs()).toBeUndefined();
      const listed = [];
      for await (const entry of source.list()) listed.push(entry.path);
      expect(listed).toEqual(['a.ulg']);
      const rtt = source.roundTripMs();
      expect(rtt).toBeGreaterThan(0);
      expect(rtt).toBeLessThan(5_000);
    } finally {
      await source.close();
      await rm(join(root, logDir), { recursive: true, force: true });
    }
  });
});
