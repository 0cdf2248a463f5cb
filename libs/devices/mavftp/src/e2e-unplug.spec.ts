import { describe, expect, it } from 'vitest';
import { caught, patternBytes } from '@filesync/core/testing';
import { createMavftpSource } from './mavftp-source';
import { makeSdRoot, startPx4Sim } from './testing/px4-sim';

describe('end to end: the autopilot goes away mid-read', () => {
  it('fails the read with a transient error when the serial (pty) device disappears', async () => {
    const root = await makeSdRoot({ 'fs/microsd/log/a.ulg': patternBytes(400_000, 4) });
    // A 115200-baud UART: the read takes seconds, so the "unplug" lands mid-file.
    const sim = await startPx4Sim(root, ['--baud', '115200'], { removeRoot: true });
    const source = createMavftpSource({ id: 'px4', link: `serial:${sim.pty}:115200`, requestTimeoutMs: 200, maxSends: 4 });
    try {
      let got = 0;
      const err = await caught(async () => {
        for await (const chunk of source.read('a.ulg', 0)) {
          got += chunk.length;
          // Fault: the autopilot vanishes (process killed; its pty closes).
          if (got > 0) await sim.stop();
        }
      });
      expect(got).toBeGreaterThan(0);
      expect(err).toMatchObject({ kind: 'transient' });
      // No second attempt here: the freed /dev/pts number may already belong to another test's pty.
    } finally {
      await source.close();
      await sim.stop();
    }
  });
});
