import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { ulogHeader } from './ulog-header';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

it('runs as a process: one JSON ready line naming http and control, CLI faults applied', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fs-fr-main-'));
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--root', root, '--fault-5xx', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    const ready = JSON.parse(line) as Record<string, unknown>;
    expect(ready).toEqual({ ready: true, sim: 'flight-review', http: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), control: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    const upload = () => {
      const fd = new FormData();
      fd.append('description', 'd');
      fd.append('email', '');
      fd.append('filearg', new Blob([ulogHeader()]), 'x.ulg');
      return fetch(`${ready['http'] as string}/upload`, { method: 'POST', body: fd, redirect: 'manual' });
    };
    expect((await upload()).status).toBe(500);
    expect((await upload()).status).toBe(302);
  } finally {
    child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  }
});
