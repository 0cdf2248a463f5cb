import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashBytes, PermanentError } from '@filesync/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuPool } from './cpu-pool';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'actors-cpu-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createCpuPool', () => {
  it('hashes files off the main thread with sha256 and CRC32, and ends its threads on destroy', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    const file = join(dir, 'staged.bin');
    await writeFile(file, bytes);
    const pool = createCpuPool({ maxThreads: 1 });
    try {
      const [sha, crc, mav] = await Promise.all([
        pool.hashFile(file, 'sha256'),
        pool.hashFile(file, 'crc32'),
        pool.hashFile(file, 'mavlink-crc32'),
      ]);
      expect(sha).toBe(hashBytes('sha256', bytes));
      expect(crc).toBe(hashBytes('crc32', bytes));
      expect(mav).toBe(hashBytes('mavlink-crc32', bytes));
      expect(pool.threadCount()).toBe(1);

      const missing = await pool.hashFile(join(dir, 'nope.bin'), 'sha256').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(PermanentError);
      expect(missing).toMatchObject({ code: 'not-found' });
    } finally {
      await pool.destroy();
    }
    expect(pool.threadCount()).toBe(0);
    await expect(pool.hashFile(file, 'sha256')).rejects.toMatchObject({ code: 'cancelled' });
  });
});
