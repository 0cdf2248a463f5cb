import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, sha256Hex } from '@filesync/core/testing';
import { createMavftpSource } from './mavftp-source';
import { logTree } from './testing/log-tree';
import { type Px4Sim, makeSdRoot, startPx4Sim } from './testing/px4-sim';

/** The 50-log acceptance run at 0, 5 and 20 % loss (with duplicates and reordering) over one transport. */
export function describeLossRuns(transport: 'udp' | 'pty'): void {
  describe(`end to end over ${transport}: 50 logs byte-identical under loss, duplication and reordering`, () => {
    const files = logTree();
    let sim: Px4Sim;
    let root: string;
    beforeAll(async () => {
      root = await makeSdRoot(Object.fromEntries(Object.entries(files).map(([p, b]) => [`fs/microsd/log/${p}`, b])));
      sim = await startPx4Sim(root, transport === 'udp' ? ['--no-pty', '--tx-buffer', '15000'] : ['--tx-buffer', '15000']);
    });
    afterAll(async () => {
      await sim?.stop();
      await rm(root, { recursive: true, force: true });
    });

    const link = (): string => (transport === 'udp' ? `udpout:${sim.udp}` : `serial:${sim.pty}:921600`);
    const cases = [0, 0.05, 0.2].map((loss) => ({ name: `${loss * 100} % loss`, loss, link }));
    for (const c of cases) {
      it(`lists and downloads every log over ${c.name}, with 5 % duplicates and 5 % reordering each way`, async () => {
        // Fault injected: per-direction loss, duplication and neighbour swaps on every frame.
        await sim.post('/faults', { lossUp: c.loss, lossDown: c.loss, dup: 0.05, reorder: 0.05 });
        const source = createMavftpSource({ id: 'px4', link: c.link(), requestTimeoutMs: 200 });
        try {
          const entries = [];
          for await (const e of source.list()) entries.push(e);
          expect(entries.map((e) => e.path).sort()).toEqual(Object.keys(files).sort());
          for (const e of entries) {
            const bytes = await collect(source.read(e.path, 0));
            expect(sha256Hex(bytes), e.path).toBe(sha256Hex(files[e.path]!));
          }
          const stats = (await source.client()).stats;
          if (c.loss > 0) expect(stats.retransmits).toBeGreaterThan(0);
        } finally {
          await source.close();
        }
      });
    }
  });
}
