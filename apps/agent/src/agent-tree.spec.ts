import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type SupervisionEvent, Supervisor } from '@filesync/actors';
import type { LinkMessage } from '@filesync/pipeline';
import { type Agent, startAgent } from './agent';
import { ACTOR_RESOURCE_LIMITS, agentTree } from './agent-tree';
import { patternBytes, type RunningSimulator, startSimulator } from '@filesync/core';
import { parseConfig } from '@filesync/core/config';

const MIB = 1024 * 1024;

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 20_000 && Date.now() < deadline; i++) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the agent tree (real worker threads, real catalog, an FTP simulator and local devices)', () => {
  let agent: Agent | undefined;
  let dir: string | undefined;
  let ftp: RunningSimulator | undefined;
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await ftp?.stop();
    ftp = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a crashed source link restarts its group from the link on, no other group, and every file arrives with no download started over', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fs-agent-tree-'));
    const files: Record<string, Uint8Array> = { 'big.bin': patternBytes(8 * MIB, 1), 'small-1.bin': patternBytes(10_000, 2), 'small-2.bin': patternBytes(70_000, 3) };
    for (const [name, bytes] of Object.entries(files)) {
      await mkdir(join(dir, 'cam'), { recursive: true });
      await writeFile(join(dir, 'cam', name), bytes);
    }
    await mkdir(join(dir, 'other'), { recursive: true });
    await writeFile(join(dir, 'other', 'o.bin'), patternBytes(5_000, 4));
    // The camera is an FTP server capped at 2 MiB/s, so the big download is under way for seconds; until
    // the whole tree is up it sends at 32 KiB/s: on a loaded machine the ten worker threads take many
    // seconds to start, and the cam group, up first, had the big file downloaded before the tree was.
    ftp = await startSimulator('ftp', ['--root', join(dir, 'cam'), '--port', '0', '--no-seed', '--bandwidth', String(32 * 1024)]);
    const config = parseConfig({
      dataDir: dir,
      status: false,
      staging: { reserveBytes: 0, checkpointBytes: 64 * 1024 },
      sources: [
        { id: 'cam', type: 'ftp', url: String(ftp.ready['ftp']), user: 'filesync', password: 'filesync', pollIntervalSec: 0.2 },
        { id: 'other', type: 'local', dir: join(dir, 'other'), pollIntervalSec: 0.2 },
      ],
      targets: [{ id: 'nas', type: 'local', dir: join(dir, 'nas') }],
      routes: [
        { source: 'cam', targets: ['nas'] },
        { source: 'other', targets: ['nas'] },
      ],
    });
    const events: SupervisionEvent[] = [];
    agent = await startAgent(config, pino({ level: 'silent' }));
    const a = agent;
    const faults = await fetch(`${String(ftp.ready['control'])}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ bandwidthBytesPerSec: 2 * MIB }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(faults.ok).toBe(true);
    const tree = a.status().tree;
    expect(tree?.children.map((c) => [c.id, c.kind, c.supervisor?.strategy, c.supervisor?.children.map((w) => w.id)])).toEqual([
      ['source:cam', 'supervisor', 'rest_for_one', ['link', 'finder', 'downloader', 'cleaner']],
      ['source:other', 'supervisor', 'rest_for_one', ['link', 'finder', 'downloader', 'cleaner']],
      ['target:nas', 'supervisor', 'rest_for_one', ['link', 'uploader']],
    ]);
    // Every worker is a thread of its own.
    const threads = tree?.children.flatMap((c) => c.supervisor?.children.map((w) => w.threadId) ?? []) ?? [];
    expect(new Set(threads).size).toBe(10);

    const big = await until('the big file half-way through its download', () =>
      a.catalog.listFiles({ sourceId: 'cam', state: 'downloading' }).find((f) => f.path === 'big.bin' && f.downloadOffset > 0 && f.downloadOffset < f.size / 2),
    );
    const threadsBefore = new Map(a.status().tree?.children.map((c) => [c.id, c.supervisor?.children.map((w) => w.threadId)]));
    a.onSupervisionEvent((e) => events.push(e));
    const root = a.tree;
    const camGroup = root.child('source:cam');
    if (!(camGroup instanceof Supervisor)) throw new Error('source:cam is not a supervisor');
    // A message the link has no handler for, sent as a tell: nobody waits for its error, so the link crashes with it.
    camGroup.actor('link')?.tell({ type: 'link.no-such-message' } as unknown as LinkMessage);

    await until('the cam group to restart its cleaner', () => events.find((e) => e.type === 'sup.child-restarted' && e.child === 'cleaner'));
    const crashed = events.filter((e) => e.type === 'sup.child-crashed');
    expect(crashed.map((e) => [e.path.join('/'), 'child' in e ? e.child : '', 'reason' in e ? e.reason.kind : ''])).toEqual([['root/source:cam', 'link', 'error']]);
    expect(events.filter((e) => e.type === 'sup.child-restarted').map((e) => [e.path.join('/'), 'child' in e ? e.child : ''])).toEqual([
      ['root/source:cam', 'link'],
      ['root/source:cam', 'finder'],
      ['root/source:cam', 'downloader'],
      ['root/source:cam', 'cleaner'],
    ]);
    const after = a.status().tree;
    for (const id of ['source:other', 'target:nas']) {
      const group = after?.children.find((c) => c.id === id);
      expect(group?.restarts).toBe(0);
      expect(group?.supervisor?.children.map((w) => w.threadId)).toEqual(threadsBefore.get(id));
    }

    await until('every file delivered', () => (a.catalog.counts().files['delivered'] === 4 ? true : undefined), 120_000);
    for (const [name, bytes] of Object.entries(files)) {
      expect(Buffer.compare(await readFile(join(dir, 'nas', 'cam', name)), bytes), name).toBe(0);
    }
    expect(await readFile(join(dir, 'nas', 'other', 'o.bin'))).toEqual(Buffer.from(patternBytes(5_000, 4)));
    // Resumed, not started over: the big file went into `downloading` once, was never reset or sent back
    // to `found`, and no upload anywhere was reset to zero.
    const history = a.catalog.history(big.fileId);
    expect(history.filter((e) => e.kind === 'file.state' && e.toState === 'downloading')).toHaveLength(1);
    expect(history.filter((e) => e.toState === 'found' && e.fromState === 'downloading')).toEqual([]);
    expect(a.catalog.history().filter((e) => e.kind.endsWith('reset') && e.detail?.['to'] === 0)).toEqual([]);
    expect(a.catalog.getFile(big.fileId)?.attempts).toBe(0);
  }, 180_000);
  it('a crashed target link restarts link and uploader only, and the upload resumes where the target has it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fs-agent-tree-'));
    const big = patternBytes(16 * MIB, 5);
    await mkdir(join(dir, 'cam'), { recursive: true });
    await writeFile(join(dir, 'cam', 'big.bin'), big);
    await mkdir(join(dir, 'nas'), { recursive: true });
    // The NAS is an FTP server capped at 1 MiB/s, so the upload is under way for seconds.
    ftp = await startSimulator('ftp', ['--root', join(dir, 'nas'), '--port', '0', '--no-seed', '--bandwidth', String(MIB)]);
    const config = parseConfig({
      dataDir: dir,
      status: false,
      staging: { reserveBytes: 0 },
      sources: [{ id: 'cam', type: 'local', dir: join(dir, 'cam'), pollIntervalSec: 0.2 }],
      targets: [{ id: 'nas', type: 'ftp', url: String(ftp.ready['ftp']), user: 'filesync', password: 'filesync' }],
      routes: [{ source: 'cam', targets: ['nas'] }],
    });
    agent = await startAgent(config, pino({ level: 'silent' }));
    const a = agent;
    const file = await until('the upload under way', () => {
      const [f] = a.catalog.listFiles({ sourceId: 'cam', state: 'staged' });
      const row = f === undefined ? undefined : a.catalog.getTarget(f.fileId, 'nas');
      return f !== undefined && row?.state === 'uploading' && row.offset > 0 && row.offset < f.size / 2 ? f : undefined;
    });
    const events: SupervisionEvent[] = [];
    a.onSupervisionEvent((e) => events.push(e));
    const nas = a.tree.child('target:nas');
    if (!(nas instanceof Supervisor)) throw new Error('target:nas is not a supervisor');
    nas.actor('link')?.tell({ type: 'link.no-such-message' } as unknown as LinkMessage);

    await until('the file delivered', () => (a.catalog.counts().files['delivered'] === 1 ? true : undefined), 120_000);
    expect(events.filter((e) => e.type === 'sup.child-restarted').map((e) => [e.path.join('/'), 'child' in e ? e.child : ''])).toEqual([
      ['root/target:nas', 'link'],
      ['root/target:nas', 'uploader'],
    ]);
    expect(a.status().tree?.children.find((c) => c.id === 'source:cam')?.supervisor?.children.map((w) => w.restarts)).toEqual([0, 0, 0, 0]);
    expect(Buffer.compare(await readFile(join(dir, 'nas', 'cam', 'big.bin')), big)).toBe(0);
    // The upload went on from what the NAS had: it was never reset to zero, nor begun again.
    const history = a.catalog.history(file.fileId);
    expect(history.filter((e) => e.kind === 'target.upload-reset' && e.detail?.['to'] === 0)).toEqual([]);
    expect(history.filter((e) => e.kind === 'target.state' && e.toState === 'uploading')).toHaveLength(1);
  }, 180_000);
});

describe('agentTree (the tree as data)', () => {
  it('gives every actor thread its heap limits from the child spec', () => {
    const config = parseConfig({
      dataDir: '/tmp/unused',
      sources: [{ id: 'inbox', type: 'local', dir: '/tmp/unused/in' }],
      targets: [{ id: 'outbox', type: 'local', dir: '/tmp/unused/out' }],
      routes: [{ source: 'inbox', targets: ['outbox'] }],
    });
    const actors = agentTree(config).children.flatMap((group) => ('supervisor' in group ? group.supervisor.children : []));
    expect(actors.map((a) => a.id)).toEqual(['link', 'finder', 'downloader', 'cleaner', 'link', 'uploader']);
    for (const actor of actors) expect('actor' in actor && actor.actor.resourceLimits).toEqual(ACTOR_RESOURCE_LIMITS);
  });
});
