import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '@filesync/core/config';
import { runProcess } from '../cli';
import { worldsForTests  } from './harness';

/**
 * Issue 20 point 4: `filesync status --watch` beside a running agent shows the transfer in flight with
 * a progress bar, a rate and an ETA, and (not on a terminal) prints a frame only when it changed.
 */
describe('e2e: filesync status --watch', () => {
  const worlds = worldsForTests();

  it('shows a PX4 log downloading with progress, rate and ETA, and no two identical frames in a row', async () => {
    const w = await worlds.create();
    // One log of 3 MB over a link with 15 ms each way: a transfer that lasts several seconds.
    const px4 = await w.sim('px4', 'px4', ['--port', '0', '--no-pty', '--logs', '1', '--min-bytes', '3000000', '--max-bytes', '3000000', '--latency-ms', '15']);
    await w.startAgent(
      {
        ...w.baseConfig(),
        sources: [{ id: 'px4', type: 'mavftp', link: `udpout:${String(px4.ready['udp'])}`, logDir: '/fs/microsd/log', pollIntervalSec: 1, settleSec: 0 }],
        targets: [{ id: 'out', type: 'local', dir: join(w.dir, 'out') }],
        routes: [{ source: 'px4', targets: ['out'] }],
      } as ConfigInput,
      120_000,
    );
    const { code, stdout } = await runProcess(['status', '--watch', '--interval', '0.5', '--frames', '24', '--config', join(w.dir, 'config.json')]);
    expect(code, stdout).toBe(0);
    const frames = stdout.split(/^— .*\n/m).filter((f) => f !== '');
    expect(frames.length).toBeGreaterThan(1);
    for (let i = 1; i < frames.length; i++) expect(frames[i], `frame ${i} repeats frame ${i - 1}`).not.toBe(frames[i - 1]);
    expect(stdout).toMatch(/^agent: running, status at http:\/\/127\.0\.0\.1:\d+$/m);
    expect(stdout).toMatch(/^source px4: up$/m);
    // A bar with a real rate and an ETA for the log being downloaded.
    expect(stdout).toMatch(/^ {2}↓ \[#*-*\] +\d+% +[\d.]+ (KiB|MiB)\/2\.9 MiB +[\d.]+ (B|KiB|MiB)\/s +ETA \d+:\d\d +px4:\S+\.ulg$/m);
  }, 240_000);
});
