import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimLogger } from './logger';

describe("the simulator's PX4 logger (--logging boot|armed)", () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });
  let clock = Date.UTC(2026, 11, 6, 3, 0, 0);
  const now = (): Date => new Date(clock);
  const logs = async (dir: string): Promise<string[]> => (await readdir(join(dir, 'fs/microsd/log/2026-12-06'))).sort();
  const size = async (dir: string, name: string): Promise<number> => (await stat(join(dir, 'fs/microsd/log/2026-12-06', name))).size;

  it('boot: an open ULog grows from boot until the first disarm, then one per arm..disarm; a reboot leaves it torn and starts the next', async () => {
    const dir = (root = await mkdtemp(join(tmpdir(), 'fs-sim-logger-')));
    clock = Date.UTC(2026, 11, 6, 3, 0, 0);
    const logger = new SimLogger(dir, 'boot', 10_000, now);
    expect(logger.openLog).toBe('/fs/microsd/log/2026-12-06/03_00_00.ulg');
    const head = await readFile(join(dir, 'fs/microsd/log/2026-12-06/03_00_00.ulg'));
    expect([...head.subarray(0, 8)]).toEqual([0x55, 0x4c, 0x6f, 0x67, 0x01, 0x12, 0x35, 0x01]);
    logger.tick(false, 0);
    logger.tick(false, 1000);
    expect(await size(dir, '03_00_00.ulg')).toBe(16 + 10_000);
    logger.tick(true, 1500); // armed: the boot log goes on
    logger.tick(false, 2000); // first disarm closes it
    expect(logger.openLog).toBeUndefined();
    logger.tick(false, 3000);
    expect(await size(dir, '03_00_00.ulg')).toBe(16 + 20_000);
    clock += 60_000;
    logger.tick(true, 4000); // next arm: a new log
    expect(logger.openLog).toBe('/fs/microsd/log/2026-12-06/03_01_00.ulg');
    logger.tick(true, 4500);
    clock += 60_000;
    logger.reboot(); // torn where it was, and a new boot log
    expect(await size(dir, '03_01_00.ulg')).toBe(16 + 5_000);
    expect(logger.openLog).toBe('/fs/microsd/log/2026-12-06/03_02_00.ulg');
    expect(await logs(dir)).toEqual(['03_00_00.ulg', '03_01_00.ulg', '03_02_00.ulg']);
  });

  it('armed: nothing at boot; one log per arm..disarm; two in one second get distinct names', async () => {
    const dir = (root = await mkdtemp(join(tmpdir(), 'fs-sim-logger-')));
    clock = Date.UTC(2026, 11, 6, 3, 0, 0);
    const logger = new SimLogger(dir, 'armed', 1000, now);
    expect(logger.openLog).toBeUndefined();
    logger.tick(true, 0);
    logger.tick(false, 100);
    logger.tick(true, 200);
    logger.tick(true, 1200);
    logger.tick(false, 1300);
    expect(await logs(dir)).toEqual(['03_00_00.ulg', '03_00_01.ulg']);
    expect(await size(dir, '03_00_00.ulg')).toBe(16 + 100);
    expect(await size(dir, '03_00_01.ulg')).toBe(16 + 1100);
  });
});
