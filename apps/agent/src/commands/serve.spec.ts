import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '@filesync/store';
import { agentsForTests, makeAgentWorld } from '../../test/agent-process';
import { runProcess } from '../../test/cli';

interface StatusBody {
  counts: { files: Record<string, number> };
  tree?: { children: { id: string; state: string; restarts: number; supervisor?: { strategy: string; children: { id: string; state: string }[] } }[] };
  repair?: { reason: string; action: string };
}

async function waitForDelivered(url: string, n: number): Promise<StatusBody> {
  const deadline = Date.now() + 30_000;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    const body = (await (await fetch(`${url}/api/status`)).json()) as StatusBody;
    if (body.counts.files['delivered'] === n) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not all ${n} files delivered in time`);
}

describe('filesync serve (real process)', () => {
  const agents = agentsForTests();

  it('without --config or FILESYNC_CONFIG, serve and status start nothing: exit 2 with how to give a config', async () => {
    for (const command of ['serve', 'status']) {
      const { code, stdout, stderr } = await runProcess([command], { FILESYNC_CONFIG: '' });
      expect({ command, code, stdout }).toEqual({ command, code: 2, stdout: '' });
      expect(stderr).toMatch(/no config file: pass --config FILE or set FILESYNC_CONFIG .*`npm start` runs the demo/);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
    // Two processes, each loading the agent to refuse: about 1 s apiece alone, several on a loaded machine.
  }, 30_000);

  it('moves files, answers status beside the agent, and stops cleanly on SIGTERM', async () => {
    const { dir, configFile } = await makeAgentWorld({ 'a/one.bin': 'one', 'two.bin': new Uint8Array(200_000).fill(7) });
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    const agent = agents.start(configFile);
    const url = await agent.ready;
    const body = await waitForDelivered(url, 2);
    // A rest_for_one group per source and per target under the root, each worker a thread of its own.
    expect(body.tree?.children.map((c) => [c.id, c.state, c.supervisor?.strategy])).toEqual([
      ['source:inbox', 'running', 'rest_for_one'],
      ['target:outbox', 'running', 'rest_for_one'],
    ]);
    expect(body.tree?.children.map((c) => c.supervisor?.children.map((w) => `${w.id}:${w.state}`))).toEqual([
      ['link:running', 'finder:running', 'downloader:running', 'cleaner:running'],
      ['link:running', 'uploader:running'],
    ]);
    expect(await readFile(join(dir, 'outbox/inbox/a/one.bin'), 'utf8')).toBe('one');
    const status = await runProcess(['status', '--json', '--config', configFile]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ agent: { running: true, url }, files: { delivered: 2 }, byTarget: { outbox: { uploaded: 2 } } });
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    const after = await runProcess(['status', '--config', configFile]);
    expect(after.stdout.split('\n')[0]).toBe('agent: not running (it has not served since its last clean stop)');
    // The rotated log file holds the run, the workers' lines with the main thread's; no secrets or stack traces needed to read it.
    const logged = await readFile(join(dir, 'logs', 'filesync.1.log'), 'utf8').catch(() => readFile(join(dir, 'logs', 'filesync.log'), 'utf8'));
    expect(logged).toContain('agent started');
    const lines = logged.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { actor?: string; msg?: string; path?: string });
    expect(lines.filter((l) => l.msg === 'staged' && l.actor === 'source:inbox/downloader').map((l) => l.path).sort()).toEqual(['a/one.bin', 'two.bin']);
    expect(lines.filter((l) => l.msg === 'uploaded' && l.actor === 'target:outbox/uploader')).toHaveLength(2);
  }, 60_000);

  it('status tells an agent killed (power cut) from a running one: its address no longer answers', async () => {
    const { dir, configFile } = await makeAgentWorld({ 'one.bin': 'one' });
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    const agent = agents.start(configFile);
    const url = await agent.ready;
    agent.child.kill('SIGKILL');
    await agent.exited;
    const status = await runProcess(['status', '--config', configFile]);
    expect(status.code).toBe(0);
    expect(status.stdout.split('\n')[0]).toBe(`agent: not running (no answer at ${url}; it was stopped without a clean stop, or is starting)`);
  }, 60_000);

  it('ends within its stop deadline even when a worker is stuck in the kernel (an upload opening a FIFO nobody reads)', async () => {
    const { dir, configFile } = await makeAgentWorld({ 'stuck.bin': 'bytes' });
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    // The local target writes its in-transit copy to stuck.bin.part: a FIFO there blocks that open() for ever.
    await mkdir(join(dir, 'outbox', 'inbox'), { recursive: true });
    execFileSync('mkfifo', [join(dir, 'outbox', 'inbox', 'stuck.bin.part')]);
    const agent = agents.start(configFile);
    const url = await agent.ready;
    const deadline = Date.now() + 30_000;
    for (let i = 0; i < 300 && Date.now() < deadline; i++) {
      const body = (await (await fetch(`${url}/api/status`)).json()) as StatusBody;
      if (body.counts.files['staged'] === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    const stoppedAt = Date.now();
    agent.child.kill('SIGTERM');
    const ended = await Promise.race([agent.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 25_000))]);
    expect(ended).toBe(true);
    // Stop bound 10 s, plus start-up slack on a loaded machine.
    expect(Date.now() - stoppedAt).toBeLessThan(25_000);
    expect(agent.stderr.join('')).toMatch(/stop took longer than 10000 ms; exiting/);
  }, 90_000);

  const damages: Record<string, (db: string) => Promise<void>> = {
    'overwritten with garbage': (db) => writeFile(db, Buffer.alloc(64 * 1024, 0x5a)),
    'truncated to half': async (db) => truncate(db, Math.floor((await readFile(db)).length / 2)),
    'deleted with its WAL left behind': (db) => unlink(db),
  };

  for (const [name, damage] of Object.entries(damages)) {
    it(`starts on a catalog ${name}, reports the repair, and the catalog is usable`, async () => {
      const { dir, configFile } = await makeAgentWorld({ 'x.bin': 'x', 'y.bin': 'yy' });
      agents.cleanup(() => rm(dir, { recursive: true, force: true }));
      const db = join(dir, 'catalog.db');
      const { catalog } = openCatalog(db);
      catalog.recordFound({ sourceId: 'inbox', path: 'old.bin', size: 1, mtimeMs: 1 }, ['outbox']);
      catalog.close();
      await damage(db);
      if (name.includes('WAL')) await writeFile(`${db}-wal`, Buffer.alloc(4096, 1));
      const agent = agents.start(configFile);
      const url = await agent.ready;
      const body = await waitForDelivered(url, 2);
      expect(body.repair?.reason).toBeTruthy();
      expect(agent.stderr.join('')).toMatch(/catalog was damaged .*repaired/);
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toBe(0);
      const status = await runProcess(['status', '--json', '--config', configFile]);
      expect(JSON.parse(status.stdout)).toMatchObject({ files: { delivered: 2 }, lastRepair: { action: expect.any(String) } });
    }, 60_000);
  }
});
