import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@filesync/core';
import { createLogger } from './logging';

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
      const log = createLogger(config);
      const line = 'x'.repeat(500);
      // pino-roll rolls once its writes drain, so a burst overshoots: write in batches of ~24 KB, as
      // an agent logs, pausing between them. Ten batches make about ten rolls.
      for (let batch = 0; batch < 10; batch++) {
        for (let i = 0; i < 40; i++) log.info({ batch, i, password: 'hunter2', config: { targets: [{ password: 'hunter2' }] } }, line);
        await new Promise((r) => setTimeout(r, 150));
      }
      await new Promise<void>((resolve) => log.flush(() => resolve()));
      // pino-roll writes in its own thread; give it a bounded moment to finish rotating.
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
});
