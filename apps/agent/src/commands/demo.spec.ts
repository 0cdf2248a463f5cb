import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../test/cli';

async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  await walk(dir);
  return out;
}

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

describe('npm start (filesync demo)', () => {
  it('shows files flowing from the simulated devices to the simulated targets within 30 seconds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-demo-'));
    try {
      const run = await runProcess(['demo', '--dir', dir, '--status-port', '0', '--duration', '30']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/simulators ready/);
      expect(run.stdout).toMatch(/files \d+: delivered [1-9]/);
      // A line only when something changed, with its time: never the same counts twice in a row.
      const progress = run.stdout.split('\n').filter((l) => / files \d+: /.test(l));
      expect(progress.length).toBeGreaterThan(0);
      for (const line of progress) expect(line).toMatch(/^\d\d:\d\d:\d\d files \d+: /);
      const counts = progress.map((l) => l.slice(9));
      expect(counts.filter((c, i) => i > 0 && c === counts[i - 1])).toEqual([]);
      const nas = await filesBelow(join(dir, 'sim', 'nas'));
      // The camera FTP server's files, byte-identical on the simulated NAS.
      const camera = (await filesBelow(join(dir, 'sim', 'camera'))).filter((f) => !f.endsWith('.part'));
      expect(camera.length).toBeGreaterThan(0);
      for (const f of camera) expect(await sha256(join(dir, 'sim', 'nas', 'camera', f)), f).toBe(await sha256(join(dir, 'sim', 'camera', f)));
      // The flash drive's files arrived (and, under move, left the card).
      expect(nas.filter((f) => f.startsWith('flir_')).length).toBeGreaterThan(0);
      // The stop may cut an upload short: its `.part` stays for the next run to resume, but a
      // final name never appears beside its `.part` (a commit is a rename, not a copy).
      const parts = nas.filter((f) => f.endsWith('.part'));
      expect(parts.filter((p) => nas.includes(p.slice(0, -'.part'.length)))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
