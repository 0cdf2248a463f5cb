import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FtpConnectionPool } from './connection-pool';
import { createFtpSource } from './ftp-source';
import { type SimulatorProcess, startSimulatorProcess } from './test-support/simulator-process';

let sim: Promise<SimulatorProcess> | undefined;
afterAll(async () => (await sim)?.stop());

async function server(): Promise<SimulatorProcess> {
  sim ??= startSimulatorProcess();
  return sim;
}

/** `promise`'s outcome, or 'still waiting' once `ms` passed. */
function within<T>(ms: number, promise: Promise<T>): Promise<T | 'still waiting'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still waiting'>((resolve) => (timer = setTimeout(() => resolve('still waiting'), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('ftp connection pool: waiting for a connection', () => {
  it('a waiter that gives up (abort) leaves, and the next connection given back goes to the one still waiting', async () => {
    const s = await server();
    const pool = new FtpConnectionPool({ url: s.url, user: s.user, password: s.password, maxConnections: 1, keepAliveMs: 0 }, '');
    try {
      const held = await pool.acquire();
      const gaveUp = new AbortController();
      const quitter = pool.acquire(gaveUp.signal).then(
        () => 'connected',
        (err: unknown) => `refused: ${(err as Error).name}`,
      );
      const patient = pool.acquire();
      gaveUp.abort();
      expect(await within(2_000, quitter)).toBe('refused: AbortError');
      pool.release(held);
      const got = await within(2_000, patient);
      expect(got).not.toBe('still waiting');
      if (got !== 'still waiting') pool.release(got);
    } finally {
      await pool.close();
    }
  });

  it('a read stopped between chunks (kept for its next slice) hands its connection to a caller already waiting, at once', async () => {
    const s = await server();
    const bytes = randomBytes(4 * 1024 * 1024);
    await writeFile(join(s.root, 'pool-clip.mp4'), bytes);
    const source = createFtpSource({ id: 'cam', url: s.url, user: s.user, password: s.password, maxConnections: 1, keepAliveMs: 0 });
    try {
      const read = source.read('pool-clip.mp4', 0)[Symbol.asyncIterator]();
      expect((await read.next()).done).toBe(false);
      // The one connection is the read's: the stat waits for it.
      if (!source.stat) throw new Error('the FTP source has stat');
      const stat = source.stat('pool-clip.mp4');
      expect(await within(300, stat)).toBe('still waiting');
      await read.return?.();
      // The kept transfer would otherwise hold the connection for its whole keep time (5 s).
      expect(await within(2_000, stat)).toMatchObject({ size: bytes.length });
    } finally {
      await source.close();
    }
  });
});
