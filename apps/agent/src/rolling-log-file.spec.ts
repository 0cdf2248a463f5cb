import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogStream } from './resilient-log-file';
import { openRollingLog } from './rolling-log-file';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fs-roll-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const flushed = (s: LogStream): Promise<void> => new Promise((resolve, reject) => s.flush((err) => (err ? reject(err) : resolve())));
const names = async (): Promise<string[]> => (await readdir(dir)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

/** Waits (bounded) until the folder holds `want`; pruning after a roll runs on its own. */
async function until(want: string[]): Promise<string[]> {
  let got = await names();
  for (let i = 0; i < 50 && got.join() !== want.join(); i++) {
    await sleep(20);
    got = await names();
  }
  return got;
}

describe('the rolling log file', () => {
  it('after a restart goes on from the highest number and removes older files than `keep`, whoever wrote them', async () => {
    // Nine files from earlier runs of the agent, and files that only look like them.
    for (let n = 1; n <= 9; n++) await writeFile(join(dir, `filesync.${n}.log`), `run ${n}\n`);
    for (const other of ['filesync.01.log', 'filesync.x.log', 'other.3.log', 'filesync.log.2']) await writeFile(join(dir, other), 'not ours\n');
    const log = await openRollingLog({ file: join(dir, 'filesync.log'), maxBytes: 1024, keep: 2 });
    try {
      log.write('after the restart\n');
      await flushed(log);
      const want = ['filesync.01.log', 'filesync.7.log', 'filesync.8.log', 'filesync.9.log', 'filesync.log.2', 'filesync.x.log', 'other.3.log'];
      expect(await until(want)).toEqual(want);
      expect(await readFile(join(dir, 'filesync.9.log'), 'utf8')).toBe('run 9\nafter the restart\n');
    } finally {
      log.destroy();
    }
  });

  it('rolls at the size bound to the next number, keeping `keep` older files', async () => {
    const log = await openRollingLog({ file: join(dir, 'filesync.log'), maxBytes: 1000, keep: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        log.write(`${String(i).repeat(999)}\n`); // each line fills a file
        await flushed(log);
        await sleep(10);
      }
      // Files 1..5 were made, one a line; the one being written (6, empty until the next line) and one older stay.
      const want = ['filesync.5.log', 'filesync.6.log'];
      expect(await until(want)).toEqual(want);
      expect(await readFile(join(dir, 'filesync.5.log'), 'utf8')).toBe(`${'4'.repeat(999)}\n`);
    } finally {
      log.destroy();
    }
  });

  it('starts a new number when the last file on disk is already full', async () => {
    await writeFile(join(dir, 'filesync.3.log'), 'x'.repeat(2000));
    const log = await openRollingLog({ file: join(dir, 'filesync.log'), maxBytes: 1000, keep: 5 });
    try {
      log.write('fresh\n');
      await flushed(log);
      const want = ['filesync.3.log', 'filesync.4.log'];
      expect(await until(want)).toEqual(want);
      expect(await readFile(join(dir, 'filesync.4.log'), 'utf8')).toBe('fresh\n');
    } finally {
      log.destroy();
    }
  });
});
