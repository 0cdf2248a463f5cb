import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSdCard } from './sd-card';

describe('generated SD card', () => {
  it('writes PX4-style log paths with valid ULog headers and sizes in range', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fs-px4-sd-'));
    try {
      const paths = await generateSdCard(root, { logs: 4, minBytes: 20_000, maxBytes: 3_000_000, seed: 3, denseBytes: 64 * 1024 });
      expect(paths[0]).toBe('/fs/microsd/log/2026-11-20/10_31_07.ulg');
      expect(paths[3]).toMatch(/^\/fs\/microsd\/log\/sess001\/log\d{3}\.ulg$/);
      for (const p of paths) {
        const file = join(root, p);
        const size = (await stat(file)).size;
        expect(size).toBeGreaterThanOrEqual(20_000);
        expect(size).toBeLessThanOrEqual(3_000_000);
        const fh = await open(file);
        const head = Buffer.alloc(16);
        await fh.read(head, 0, 16, 0);
        await fh.close();
        expect([...head.subarray(0, 8)]).toEqual([0x55, 0x4c, 0x6f, 0x67, 0x01, 0x12, 0x35, 1]);
        expect(head.readBigUInt64LE(8)).toBeGreaterThan(0n);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
