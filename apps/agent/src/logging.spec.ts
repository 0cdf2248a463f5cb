import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@filesync/core/config';
import { mountSmallDisk } from '@filesync/core/testing';
import { createLogger } from './logging';

async function logText(dir: string): Promise<string> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.log'));
  return (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('');
}

// The log file shares the agent's disk with the catalog and staging: a full disk, which the agent
// survives, must not end it through its logger. A real small disk (a 256 KiB tmpfs; root only).
const disk = mountSmallDisk(256 * 1024);

describe('agent logging', () => {
  it('rotates the log file by size and keeps a bounded number of files, with secrets redacted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-log-'));
    try {
      const config = parseConfig({
        dataDir: dir,
        log: { level: 'info', file: join(dir, 'logs', 'filesync.log'), maxBytes: '20KiB', files: 3 },
        sources: [{ id: 'a', type: 'local', dir }],
        targets: [{ id: 'b', type: 'local', dir }],
        routes: [{ source: 'a', targets: ['b'] }],
      });
      const log = await createLogger(config);
      const line = 'x'.repeat(500);
      // pino-roll rolls once its writes drain, so a burst overshoots: write in batches of ~24 KB, as
      // an agent logs, pausing between them. Ten batches make about ten rolls.
      for (let batch = 0; batch < 10; batch++) {
        for (let i = 0; i < 40; i++) log.info({ batch, i, password: 'hunter2', config: { targets: [{ password: 'hunter2' }] } }, line);
        await new Promise((r) => setTimeout(r, 150));
      }
      await new Promise<void>((resolve) => log.flush(() => resolve()));
      // pino-roll removes old files after a roll, asynchronously; give it a bounded moment.
      for (let i = 0; i < 50 && (await readdir(join(dir, 'logs'))).length < 3; i++) await new Promise((r) => setTimeout(r, 100));
      const files = (await readdir(join(dir, 'logs'))).filter((f) => f.endsWith('.log'));
      expect(files.length).toBeGreaterThan(1); // it rotated (240 KB ≫ 20 KiB)
      expect(files.length).toBeLessThanOrEqual(4); // old ones removed: `files` kept plus the one being written
      for (const f of files) {
        const text = await readFile(join(dir, 'logs', f), 'utf8');
        expect(text).not.toContain('hunter2');
        expect(text.length).toBeLessThan(20 * 1024 + 3 * 40 * 700); // the limit plus a burst or two
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it.skipIf(!disk)('survives a log file on a full disk: lines are dropped, counted, and the file is written again once there is room', async () => {
    const logs = join(disk!.dir, 'logs');
    try {
      const config = parseConfig({
        dataDir: disk!.dir,
        log: { level: 'info', file: join(logs, 'filesync.log'), maxBytes: '1MiB', files: 2 },
        sources: [{ id: 'a', type: 'local', dir: disk!.dir }],
        targets: [{ id: 'b', type: 'local', dir: disk!.dir }],
        routes: [{ source: 'a', targets: ['b'] }],
      });
      const log = await createLogger(config, { reopenMs: 300 });
      log.info('before the disk filled');
      for (let i = 0; i < 50 && !(await logText(logs)).includes('before the disk filled'); i++) await sleep(100);
      await disk!.fillLeaving(0);
      // Unheard, the stream's ENOSPC would end this process here.
      for (let i = 0; i < 30; i++) {
        log.info({ i }, 'x'.repeat(2000));
        await sleep(20);
      }
      await sleep(400);
      await disk!.empty();
      // As an agent does, it goes on logging: the first lines may still meet the failed stream (its
      // error comes with a write's callback, later under load); a later one opens the file again.
      for (let i = 0; i < 50 && !(await logText(logs)).includes('after the disk was freed'); i++) {
        log.info({ i }, 'after the disk was freed');
        await new Promise<void>((resolve) => log.flush(() => resolve()));
        await sleep(200);
      }
      const text = await logText(logs);
      expect(text).toContain('before the disk filled');
      expect(text).toContain('after the disk was freed');
      expect(text).toMatch(/"msg":"\d+ log line\(s\) lost: the log file could not be written \(ENOSPC/);
    } finally {
      disk!.remove();
    }
  }, 30_000);
});
