import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentsForTests, makeAgentWorld } from '../../test/agent-process';
import { runProcess } from '../../test/cli';
import type { FileView, PageView } from './overview';

/** The file at `path` as the API shows it, or undefined while the finder has not recorded it. */
async function fileAt(url: string, path: string): Promise<FileView | undefined> {
  const page = (await (await fetch(`${url}/api/files?q=${encodeURIComponent(path)}&limit=200`)).json()) as PageView<FileView>;
  return page.items.find((f) => f.path === path);
}

/** Polls until every path is in the state wanted (bounded in polls and time); fails at once if a `held` path leaves `found`. */
async function waitFor(url: string, wanted: Record<string, string>, what: string, held?: string): Promise<Record<string, FileView>> {
  const deadline = Date.now() + 60_000;
  let last: Record<string, FileView | undefined> = {};
  for (let i = 0; i < 600 && Date.now() < deadline; i++) {
    last = Object.fromEntries(await Promise.all(Object.keys(wanted).map(async (p) => [p, await fileAt(url, p)] as const)));
    const state = held === undefined ? undefined : last[held]?.state;
    if (state !== undefined && state !== 'found') throw new Error(`${what}: ${held} went on to ${state} while its route was paused`);
    if (Object.entries(wanted).every(([p, state]) => last[p]?.state === state)) return last as Record<string, FileView>;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: gave up; last ${JSON.stringify(Object.fromEntries(Object.entries(last).map(([p, f]) => [p, f?.state])))}`);
}

describe('pausing a route (real agent)', () => {
  const agents = agentsForTests();

  it('a paused route starts no new download while another route goes on; the pause survives a restart; resume delivers', async () => {
    const { dir, configFile } = await makeAgentWorld({}, (at) => ({
      sources: [
        { id: 'inbox', type: 'local', dir: join(at, 'inbox'), pollIntervalSec: 0.2, settleSec: 0.2 },
        { id: 'witness', type: 'local', dir: join(at, 'witness'), pollIntervalSec: 0.2, settleSec: 0.2 },
      ],
      routes: [
        { source: 'inbox', targets: ['outbox'] },
        { source: 'witness', targets: ['outbox'] },
      ],
    }));
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'inbox'), { recursive: true });
    await mkdir(join(dir, 'witness'), { recursive: true });

    let url = await agents.start(configFile).ready;
    expect((await fetch(`${url}/api/routes/inbox~outbox/pause`, { method: 'POST' })).status).toBe(200);
    await writeFile(join(dir, 'inbox', 'held.bin'), 'held while paused');
    await writeFile(join(dir, 'witness', 'one.bin'), 'the other route goes on');
    // The witness is found, downloaded and delivered by the same kind of loop in the same time: had
    // the pause not held the other file, it would have gone too.
    const first = await waitFor(url, { 'one.bin': 'delivered', 'held.bin': 'found' }, 'witness delivered', 'held.bin');
    expect(first['held.bin']).toMatchObject({ state: 'found', downloadOffset: 0 });

    // Kept in the catalog: a restarted agent still holds the route.
    const running = agents.started.at(-1);
    running?.child.kill('SIGTERM');
    expect(await running?.exited).toBe(0);
    url = await agents.start(configFile).ready;
    const overview = (await (await fetch(`${url}/api/overview`)).json()) as { routes: { id: string; paused: boolean }[] };
    expect(overview.routes).toEqual([expect.objectContaining({ id: 'inbox~outbox', paused: true }), expect.objectContaining({ id: 'witness~outbox', paused: false })]);
    expect((await runProcess(['status', '--config', configFile])).stdout).toContain('paused routes (resume on the status page): inbox~outbox\n');
    await writeFile(join(dir, 'witness', 'two.bin'), 'and on');
    await waitFor(url, { 'two.bin': 'delivered', 'held.bin': 'found' }, 'second witness delivered after the restart', 'held.bin');

    expect((await fetch(`${url}/api/routes/inbox~outbox/resume`, { method: 'POST' })).status).toBe(200);
    const after = await waitFor(url, { 'held.bin': 'delivered' }, 'held file delivered after resume');
    expect(after['held.bin']?.targets).toEqual([expect.objectContaining({ targetId: 'outbox', state: 'uploaded', targetPath: 'inbox/held.bin' })]);
  }, 150_000);
});
