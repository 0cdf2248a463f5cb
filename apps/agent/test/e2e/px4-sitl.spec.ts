import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Px4Sitl, Px4Gcs, px4SitlMissing, startPx4Sitl } from '@filesync/device-mavftp/testing';
import type { ConfigInput } from '@filesync/core/config';
import { isSettling } from '@filesync/pipeline';
import type { Catalog } from '@filesync/store';
import { E2eWorld, hashTree, waitForCatalog } from './harness';

/**
 * Issue 19 point 2: the real agent process against a real PX4 (PX4 SITL from ../shared/px4-sitl):
 * its real MAVLink stack, FTP server and ULog logger. PX4 logs from boot until the first disarm, so
 * its newest log is open: the last test follows it (point 1) until PX4 closes it.
 */
const missing = px4SitlMissing();

/** Small checkpoints, so "re-read at most one checkpoint" is a tight bound on a 2–5 MB log. */
const CHECKPOINT_BYTES = 128 * 1024;
/** The agent's start (16 workers under tsx) took over 30 s on the shared 2-core box at load 20. */
const AGENT_READY_MS = 120_000;

describe.skipIf(missing !== undefined)(`e2e: the agent against a real PX4 (PX4 SITL)${missing ? ` — skipped: ${missing}` : ''}`, () => {
  let world: E2eWorld | undefined;
  let px4: Px4Sitl | undefined;
  let gcs: Px4Gcs | undefined;
  let catalog: Catalog | undefined;
  afterEach(async () => {
    catalog?.close();
    await gcs?.close();
    await world?.cleanup();
    await px4?.stop();
    [world, px4, gcs, catalog] = [undefined, undefined, undefined, undefined];
  });

  /** The closed logs PX4 holds now (every file but the newest, which PX4 is writing): name → sha256. */
  async function closedLogs(sitl: Px4Sitl): Promise<Map<string, string>> {
    const tree = await hashTree(sitl.logDir, (p) => p.endsWith('.ulg'));
    const names = [...tree.keys()].sort();
    const out = new Map<string, string>();
    for (const name of names.slice(0, -1)) out.set(name, tree.get(name)!.sha256);
    return out;
  }

  function config(w: E2eWorld, sitl: Px4Sitl, settleSec?: number): ConfigInput {
    return {
      ...w.baseConfig(),
      staging: { checkpointBytes: CHECKPOINT_BYTES, checkpointMs: 1000 },
      sources: [{ id: 'px4', type: 'mavftp', link: sitl.onboard, logDir: '/log', pollIntervalSec: 1, ...(settleSec === undefined ? {} : { settleSec }) }],
      targets: [{ id: 'out', type: 'local', dir: join(w.dir, 'out') }],
      routes: [{ source: 'px4', targets: ['out'], filter: { include: ['**/*.ulg'] } }],
    } as ConfigInput;
  }

  /** Waits until every expected log is at the target with PX4's bytes (sha256), bounded. */
  async function waitDelivered(w: E2eWorld, expected: Map<string, string>, timeoutMs: number, sample?: () => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let missingNow: string[] = [];
    for (let i = 0; i < 2000 && Date.now() < deadline; i++) {
      sample?.();
      // The agent renames `.part` files while this walks the target: a walk that meets one gone is retried.
      const tree = await hashTree(join(w.dir, 'out')).catch(() => new Map<string, { sha256: string }>());
      const got = new Map([...tree].map(([p, f]) => [p.split('/').slice(-2).join('/'), f.sha256]));
      missingNow = [...expected].filter(([name, sha]) => got.get(name) !== sha).map(([name]) => name);
      if (missingNow.length === 0) return;
      if (w.agent?.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`not delivered byte-identical within ${timeoutMs} ms: ${missingNow.join(', ')}; agent stderr: ${w.agent?.stderr.join('').slice(-2000)}`);
  }

  /** Durable download offsets of the closed logs over time, to show none went backwards. */
  class OffsetWatch {
    readonly seen = new Map<string, number[]>();
    constructor(private readonly cat: () => Catalog | undefined, private readonly names: Set<string>) {}
    sample(): void {
      for (const f of this.cat()?.listFiles() ?? []) {
        const name = f.path.split('/').slice(-2).join('/');
        if (!this.names.has(name) || f.state !== 'downloading') continue;
        const list = this.seen.get(name) ?? [];
        if (list.at(-1) !== f.downloadOffset) list.push(f.downloadOffset);
        this.seen.set(name, list);
      }
    }
    /** The first log caught part-way (durable offset past one checkpoint, not yet whole). */
    partWay(sizes: Map<string, number>): { name: string; offset: number } | undefined {
      for (const [name, list] of this.seen) {
        const at = list.at(-1) ?? 0;
        if (at >= 2 * CHECKPOINT_BYTES && at < (sizes.get(name) ?? 0) - 2 * CHECKPOINT_BYTES) return { name, offset: at };
      }
      return undefined;
    }
  }

  async function logSizes(sitl: Px4Sitl): Promise<Map<string, number>> {
    return new Map([...(await hashTree(sitl.logDir))].map(([p, f]) => [p, f.size]));
  }

  /** Nothing restarted from zero: no download reset in the catalog, every durable offset only grew, one row per log. */
  function expectResumed(cat: Catalog, watch: OffsetWatch, cut: { name: string; offset: number }): void {
    const files = cat.listFiles().filter((f) => watch['names'].has(f.path.split('/').slice(-2).join('/')));
    expect(files.length, 'one catalog row per closed log (no new version after the fault)').toBe(watch['names'].size);
    for (const f of files) {
      const resets = cat.history(f.fileId).filter((e) => e.kind === 'file.download-reset');
      expect(resets, `${f.path}: download resets`).toEqual([]);
    }
    // Durable offsets seen over the run, including the one at the cut, only ever grew: the download
    // went on from its last checkpoint after the fault (the rest may finish between two samples).
    const offsets = watch.seen.get(cut.name) ?? [];
    expect(offsets, `${cut.name}: durable offsets`).toEqual([...offsets].sort((a, b) => a - b));
    expect(offsets, `${cut.name}: the offset at the cut was seen`).toContain(cut.offset);
  }

  it('delivers every closed PX4 log byte-identical (sha256 against the files in PX4\'s log directory)', async () => {
    px4 = await startPx4Sitl();
    const w = (world = await E2eWorld.create());
    const expected = await closedLogs(px4);
    expect(expected.size).toBe(2);
    await w.startAgent(config(w, px4), AGENT_READY_MS);
    await waitDelivered(w, expected, 120_000);
    expect(await w.stopAgent()).toBe(0);
  }, 180_000);

  it('armed (in the air): no file transfer; once disarmed, the logs arrive', async () => {
    px4 = await startPx4Sitl();
    const w = (world = await E2eWorld.create());
    const expected = await closedLogs(px4);
    gcs = await Px4Gcs.open(px4);
    await gcs.armAndTakeOff();
    await w.startAgent(config(w, px4), AGENT_READY_MS);
    catalog = await waitForCatalog(join(w.dataDir, 'catalog.db'));
    // Long enough that an unpaused download of a seed log would have begun and checkpointed, and
    // past PX4's ~10 s auto-disarm on the ground (the take-off keeps it armed).
    const armedUntil = Date.now() + 15_000;
    for (let i = 0; i < 200 && Date.now() < armedUntil; i++) {
      const moving = catalog.listFiles().filter((f) => f.downloadOffset > 0 || f.state === 'staged' || f.state === 'delivered');
      expect(moving.map((f) => `${f.path} ${f.state} ${f.downloadOffset}`), 'transfers while armed').toEqual([]);
      expect(gcs.armed, 'PX4 still armed').toBe(true);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await hashTree(join(w.dir, 'out'))).size).toBe(0);
    await gcs.disarm();
    await waitDelivered(w, expected, 120_000);
    expect(await w.stopAgent()).toBe(0);
  }, 240_000);

  for (const [how, end] of [
    ['delivered whole after a clean stop (px4-sitl stop)', (sitl: Px4Sitl) => sitl.shutdown()],
    ['torn by a kill (a power cut), delivered as it is on the card', (sitl: Px4Sitl) => sitl.kill()],
  ] as const) {
    it(`the open log (PX4 logs from boot): one settling row at its growing size, never vanished or failed; ${how}`, async () => {
      const sitl = (px4 = await startPx4Sitl());
      const w = (world = await E2eWorld.create());
      const expected = await closedLogs(sitl);
      const open = [...(await hashTree(sitl.logDir, (p) => p.endsWith('.ulg'))).keys()].sort().at(-1)!;
      expect(expected.has(open)).toBe(false);
      // Longer than the default 3 s: on a machine loaded well past its cores the one-second listing of
      // the card slipped past 3 s (CI, load 12), and the growing log looked settled for a moment.
      const settleMs = 6000;
      await w.startAgent(config(w, sitl, settleMs / 1000), AGENT_READY_MS);
      catalog = await waitForCatalog(join(w.dataDir, 'catalog.db'));
      const rowsOfOpen = (): ReturnType<Catalog['listFiles']> => catalog!.listFiles().filter((f) => f.path.endsWith(open.split('/').slice(-2).join('/')));
      // While PX4 writes it: the closed logs arrive, the open one is one row, settling, at ever larger sizes.
      await waitDelivered(w, expected, 120_000);
      const sizes = new Set<number>();
      const until = Date.now() + 60_000;
      for (let i = 0; i < 600 && sizes.size < 5 && Date.now() < until; i++) {
        const rows = rowsOfOpen();
        expect(rows.length, 'one row for the open log').toBeLessThanOrEqual(1);
        if (rows[0]) {
          expect(rows[0].state).toBe('found');
          expect(isSettling(rows[0], settleMs, Date.now()), `${rows[0].size} bytes, found ${Date.now() - rows[0].foundAt} ms ago: settling`).toBe(true);
          sizes.add(rows[0].size);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(sizes.size, 'sizes of the open log seen growing').toBeGreaterThanOrEqual(5);
      // A clean stop closes the log, a kill leaves it torn; PX4 started again serves it (and opens a new one of its own).
      await end(sitl);
      const closed = (await hashTree(sitl.logDir)).get(open)!;
      expect(closed.size).toBeGreaterThan(Math.max(...sizes));
      await sitl.restart();
      await waitDelivered(w, new Map([[open, closed.sha256]]), 180_000);
      const rows = rowsOfOpen();
      const events = rows.flatMap((f) => catalog!.history(f.fileId));
      const bad = events.filter((e) => e.toState === 'vanished' || e.toState === 'failed');
      expect(bad.map((e) => `${e.fromState ?? ''}>${e.toState ?? ''}: ${JSON.stringify(e.detail)}`), `events of ${open}`).toEqual([]);
      expect(rows.filter((f) => f.state !== 'removed' && f.state !== 'delivered').map((f) => `${f.size} ${f.state}`), 'left undelivered').toEqual([]);
      expect(rows.find((f) => f.size === closed.size)?.state).toBe('delivered');
      expect(await w.stopAgent()).toBe(0);
    }, 360_000);
  }

  it('PX4 killed mid-transfer (a power cut) and started again: the transfer resumes from its durable offset', async () => {
    const sitl = (px4 = await startPx4Sitl());
    const w = (world = await E2eWorld.create());
    const expected = await closedLogs(sitl);
    const sizes = await logSizes(sitl);
    await w.startAgent(config(w, sitl), AGENT_READY_MS);
    catalog = await waitForCatalog(join(w.dataDir, 'catalog.db'));
    const watch = new OffsetWatch(() => catalog, new Set(expected.keys()));
    let cut: { name: string; offset: number } | undefined;
    for (let i = 0; i < 6000 && !cut; i++) {
      watch.sample();
      cut = watch.partWay(sizes);
      if (!cut) await new Promise((r) => setTimeout(r, 10));
    }
    expect(cut, 'a log caught part-way').toBeDefined();
    await sitl.kill();
    await new Promise((r) => setTimeout(r, 2000));
    await sitl.restart();
    await waitDelivered(w, expected, 180_000, () => watch.sample());
    expectResumed(catalog, watch, cut!);
    expect(await w.stopAgent()).toBe(0);
  }, 300_000);

  it('the agent killed mid-transfer and started again: the transfer resumes from its durable offset', async () => {
    const sitl = (px4 = await startPx4Sitl());
    const w = (world = await E2eWorld.create());
    const expected = await closedLogs(sitl);
    const sizes = await logSizes(sitl);
    const cfg = config(w, sitl);
    await w.startAgent(cfg, AGENT_READY_MS);
    catalog = await waitForCatalog(join(w.dataDir, 'catalog.db'));
    const watch = new OffsetWatch(() => catalog, new Set(expected.keys()));
    let cut: { name: string; offset: number } | undefined;
    for (let i = 0; i < 6000 && !cut; i++) {
      watch.sample();
      cut = watch.partWay(sizes);
      if (!cut) await new Promise((r) => setTimeout(r, 10));
    }
    expect(cut, 'a log caught part-way').toBeDefined();
    w.agent!.child.kill('SIGKILL');
    await w.agent!.exited;
    // The last durable offset is what the catalog holds after the kill (a checkpoint may have landed after the sample).
    const durable = catalog.listFiles().find((f) => f.path.endsWith(basename(cut!.name)))!.downloadOffset;
    cut = { name: cut!.name, offset: durable };
    watch.sample();
    await w.startAgent(cfg, AGENT_READY_MS);
    await waitDelivered(w, expected, 180_000, () => watch.sample());
    expectResumed(catalog, watch, cut);
    expect(await w.stopAgent()).toBe(0);
  }, 300_000);
});
