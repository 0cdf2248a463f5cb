import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, patternBytes, sha256Hex } from '@filesync/core/testing';
import { createMavftpSource } from './mavftp-source';
import { type Px4Sim, makeSdRoot, startPx4Sim } from './testing/px4-sim';

/** 50 small logs in PX4's layout: three flight days and one session without GPS time. */
function logTree(): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < 50; i++) {
    const day = i < 20 ? '2026-11-20' : i < 35 ? '2026-11-21' : i < 48 ? '2026-11-22' : null;
    const name = day ? `${day}/${String(8 + (i % 12)).padStart(2, '0')}_${String(i).padStart(2, '0')}_07.ulg` : `sess001/log${String(i).padStart(3, '0')}.ulg`;
    files[name] = patternBytes(1500 + ((i * 7919) % 11000), i + 1);
  }
  return files;
}

describe('end to end: 50 logs byte-identical under loss, duplication and reordering', () => {
  const files = logTree();
  let sim: Px4Sim;
  let root: string;
  beforeAll(async () => {
    root = await makeSdRoot(Object.fromEntries(Object.entries(files).map(([p, b]) => [`fs/microsd/log/${p}`, b])));
    sim = await startPx4Sim(root, ['--tx-buffer', '15000']);
  });
  afterAll(async () => {
    await sim?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const cases: { name: string; loss: number; link: () => string }[] = [
    { name: 'UDP, 0 % loss', loss: 0, link: () => `udpout:${sim.udp}` },
    { name: 'UDP, 5 % loss', loss: 0.05, link: () => `udpout:${sim.udp}` },
    { name: 'UDP, 20 % loss', loss: 0.2, link: () => `udpout:${sim.udp}` },
    { name: 'pty (serial), 5 % loss', loss: 0.05, link: () => `serial:${sim.pty}:921600` },
  ];
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
