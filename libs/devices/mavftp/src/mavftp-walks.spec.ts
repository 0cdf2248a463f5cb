import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternBytes } from '@filesync/core/testing';
import type { ListProblem, SourceEntry } from '@filesync/core';
import { createMavftpSource } from './mavftp-source';
import { type Px4Sim, makeSdRoot, startPx4Sim } from './testing/px4-sim';

let sim: Px4Sim;
beforeAll(async () => {
  const root = await makeSdRoot({ 'fs/microsd/log/a.ulg': patternBytes(300), 'fs/microsd/log/2026-12-05/b.ulg': patternBytes(500) });
  sim = await startPx4Sim(root, ['--no-pty', '--tx-buffer', '15000'], { removeRoot: true });
});
afterAll(async () => sim?.stop());

describe('MAVFTP source: walks that always finish', () => {
  it('never walks "." and "..", even from a server that lists them as directories', async () => {
    await sim.post('/faults', { dotDirs: true });
    const source = createMavftpSource({ id: 'px4', link: `udpout:${sim.udp}` });
    const entries: SourceEntry[] = [];
    const problems: ListProblem[] = [];
    try {
      for await (const e of source.list({ onProblem: (p) => problems.push(p) })) entries.push(e);
    } finally {
      await source.close();
    }
    expect(entries.map((e) => e.path).sort()).toEqual(['2026-12-05/b.ulg', 'a.ulg']);
    expect(problems).toEqual([]);
    // Two directories listed: a handful of requests, not one per `.`/`..` path to the depth bound.
    const requests = Object.values((await sim.state()).links).reduce((n, l) => n + (l.server.requests['ListDirectoryWithTime'] ?? 0) + (l.server.requests['ListDirectory'] ?? 0), 0);
    expect(requests).toBeGreaterThan(0);
    expect(requests).toBeLessThan(10);
  }, 60_000);
});
