import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { patternBytes, sha256Hex } from '@filesync/core/testing';
import { connectMavftp } from './connect';
import type { MavftpClient } from './ftp-client';
import { type Px4Sim, makeSdRoot, startPx4Sim } from './testing/px4-sim';
import { until } from './testing/until';

const LOG = '/fs/microsd/log/2026-11-20';
/** The first log in the simulator's sorted walk: the one a crashed client's stale session holds. */
const FIRST = `${LOG}/10_31_07.ulg`;
const READ = `${LOG}/18_44_34.ulg`;
const first = patternBytes(191_561, 21);
const read = patternBytes(265_225, 22);

/** Sizes the chaos seed 20261131 showed: a read of the second log, the first held by a stale session. */
describe('end to end against the simulator: a reboot mid-read with faults on the session', () => {
  let sim: Px4Sim;
  let root: string;
  let client: MavftpClient;
  beforeAll(async () => {
    root = await makeSdRoot({ [`fs${FIRST.slice(3)}`]: first, [`fs${READ.slice(3)}`]: read });
    sim = await startPx4Sim(root, ['--no-pty']);
  });
  afterAll(async () => {
    await sim?.stop();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await sim.post('/reset-stats');
    // Small chunks, so the reboot lands mid-file with most of it still to read.
    client = await connectMavftp({ link: `udpout:${sim.udp}`, requestTimeoutMs: 200, maxChunkBytes: 32 * 1024 });
    await until(() => (client.link.vehicle?.timeBootMs ?? 0) > 1500);
  });
  afterEach(async () => {
    await client.link.close();
  });

  it('a crashed client cannot open a session on a powered-off autopilot: the read resumes at its offset with the right bytes', async () => {
    // Faults: a power cycle (1 s off), and while it is off a request to leave a stale session open.
    const parts: Uint8Array[] = [];
    let got = 0;
    let rebootAt = -1;
    let stale: unknown;
    for await (const chunk of client.readFile(READ, 0)) {
      parts.push(chunk);
      got += chunk.length;
      if (rebootAt < 0 && got >= 60_000) {
        rebootAt = got;
        await sim.post('/reboot', { downMs: 1000 });
        stale = await sim.post('/stale-session');
      }
    }
    expect(got).toBe(read.length);
    expect(sha256Hex(Buffer.concat(parts))).toBe(sha256Hex(read));
    expect(stale).toMatchObject({ path: null });
    const state = await sim.state();
    expect(state.reboots).toBe(1);
    expect(client.stats.reopens).toBeGreaterThanOrEqual(1);
    // Resumed, not started over: about the file once, plus what was in flight.
    expect(state.bytesServed[READ]!).toBeLessThan(read.length + rebootAt);
    expect(state.bytesServed[FIRST] ?? 0).toBe(0);
  });
});
