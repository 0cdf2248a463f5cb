import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Client } from 'basic-ftp';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('ftp simulator process (main.ts)', () => {
  it('prints one ready line naming ftp and control, serves seeded content, takes faults over HTTP', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fs-ftpsim-main-'));
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--root', root, '--rnfr-550', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no ready line in 20 s')), 20_000);
        createInterface({ input: child.stdout }).once('line', (l) => {
          clearTimeout(timer);
          resolve(l);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const ready = JSON.parse(line) as Record<string, unknown>;
      expect(ready).toMatchObject({ ready: true, sim: 'ftp' });
      expect(ready['ftp']).toMatch(/^ftp:\/\/127\.0\.0\.1:\d+$/);
      expect(ready['control']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const control = String(ready['control']);

      expect(await (await fetch(`${control}/faults`)).json()).toMatchObject({ rnfr550Times: 2 });
      const bad = await fetch(`${control}/faults`, { method: 'POST', body: JSON.stringify({ dropDataAfterBytes: 'lots' }) });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: expect.stringContaining('dropDataAfterBytes') });
      await fetch(`${control}/faults`, { method: 'POST', body: JSON.stringify({ quotaBytes: 1 }) });
      expect(await (await fetch(`${control}/faults`)).json()).toMatchObject({ quotaBytes: 1, rnfr550Times: 2 });

      const url = new URL(String(ready['ftp']));
      const client = new Client(5000);
      await client.access({ host: url.hostname, port: Number(url.port), user: 'filesync', password: 'filesync' });
      const names = (await client.list('/')).map((e) => e.name).sort();
      client.close();
      expect(names).toEqual(expect.arrayContaining(['images', 'logs', 'videos']));
    } finally {
      child.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    }
  });
});
