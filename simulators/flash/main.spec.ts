import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

interface Ready {
  ready: true;
  sim: string;
  mountPoint: string;
  mountTable: string;
  diskDir: string;
  uuid: string;
  label: string;
  files: number;
  bytes: number;
  control: string;
}

function readyLine(child: ChildProcess): Promise<Ready> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve(JSON.parse(line) as Ready));
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code} before it was ready`)));
  });
}

const post = async (url: string, body: unknown = {}): Promise<unknown> => {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  return res.json();
};

describe('flash simulator process', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('prints one ready line naming mount point, mount table and control API, and obeys the control API', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fs-flash-main-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, '--root', root, '--seed', '3', '--sessions', '1', '--images', '5', '--videos', '1', '--jpeg-kib', '4-8', '--video-mib', '0.05'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => void child.kill('SIGKILL'));
    const ready = await readyLine(child);
    expect(ready).toMatchObject({ ready: true, sim: 'flash', label: 'FLIR', files: 6 });
    expect(ready.control).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.uuid).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(await readFile(ready.mountTable, 'utf8')).toContain(` ${ready.mountPoint} `);
    expect(await readdir(ready.mountPoint)).toHaveLength(1);

    await post(`${ready.control}/unplug`);
    expect(await readFile(ready.mountTable, 'utf8')).not.toContain(ready.mountPoint);
    await expect(readdir(ready.mountPoint)).rejects.toMatchObject({ code: 'ENOENT' });

    const card = (await post(`${ready.control}/cards`, { seed: 3, content: { sessions: 1, imagesPerSession: 2, videosPerSession: 0, jpegBytes: [1000, 2000] } })) as {
      uuid: string;
    };
    expect(await post(`${ready.control}/insert`, { uuid: card.uuid })).toMatchObject({ uuid: card.uuid, mountPoint: ready.mountPoint });
    expect(await readdir(join(ready.diskDir, 'by-uuid'))).toEqual([card.uuid]);

    const bad = await fetch(`${ready.control}/faults/unplug-after`, { method: 'POST', body: JSON.stringify({ path: 'x' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('bytes');
  });
});
