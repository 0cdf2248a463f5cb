import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('px4 simulator process', () => {
  it('fills an empty root, prints one ready line naming udp, pty and control, and obeys the control API', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fs-px4-main-'));
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--root', root, '--logs', '3', '--max-bytes', '300000', '--loss', '0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no ready line')), 20_000);
        createInterface({ input: child.stdout }).once('line', (l) => {
          clearTimeout(t);
          resolve(l);
        });
      });
      const ready = JSON.parse(line) as { ready: boolean; sim: string; udp: string; pty: string; control: string };
      expect(ready).toMatchObject({ ready: true, sim: 'px4' });
      expect(ready.udp).toMatch(/^127\.0\.0\.1:\d+$/);
      expect((await stat(ready.pty)).isCharacterDevice()).toBe(true);
      expect((await stat(join(root, 'fs/microsd/log/2026-11-20/10_31_07.ulg'))).size).toBeGreaterThan(0);
      const state = (await (await fetch(`${ready.control}/state`)).json()) as { faults: { lossUp: number; lossDown: number } };
      expect(state.faults).toMatchObject({ lossUp: 0.1, lossDown: 0.1 });
      const bad = await fetch(`${ready.control}/faults`, { method: 'POST', body: JSON.stringify({ lossy: 1 }) });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toContain('lossy');
      await fetch(`${ready.control}/arm`, { method: 'POST' });
      expect(((await (await fetch(`${ready.control}/state`)).json()) as { armed: boolean }).armed).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    }
  });
});
