import { lstat, mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Catalog, FileRecord } from '@filesync/store';
import { KIB } from '../content';
import { control } from '../control';
import { latestRows } from '../delivered';
import { listFiles, sha256File, targetRel } from '../manifest';
import { type Rng, createRng } from '../prng';
import { flightReviewCopies } from '../upload-site';
import { type RoundOptions, type RoundResult, live } from '../round';
import { ChaosWorld, FLIGHT_REVIEW, LOCAL_SOURCE, type SourceInfo, type Topology } from '../world';
import { SourceChanges, contentFor } from './changes';
import { type Secret, checkChangingWorld, refusal } from './checks';
import { TargetContent } from './target-content';
import { type SourceVersion, VersionLedger, versionKey } from './versions';
import { SourceWatcher } from './watcher';

/**
 * Uploads take a while (NAS at 512 KiB/s) and staging holds at most 1 MiB, so that files wait `found`
 * (listed, not yet opened) and `staged` (read, being uploaded) long enough for the world to change them then.
 */
const TOPOLOGY: Topology = {
  camera: { files: 4, maxBytes: 700 * KIB, bandwidth: 2 * 1024 * KIB, policy: 'move' },
  // A listing every 3 s: a file swapped for a FIFO or a symlink after one listing is opened before the next
  // sees the swap (the listing skips both), as with any real poll interval (the default is 30 s).
  local: { pollIntervalSec: 3 },
  flightReview: true,
  nas: { bandwidth: 512 * KIB },
  staging: { maxBytes: 1024 * KIB },
};

/** How long an aimed change waits for the catalog to show a file in the state it aims at. */
const AIM_MS = 6_000;
const POLL_MS = 100;
/** The agent's own stop bound is 10 s (docs/operations.md); past this, a SIGTERM did not stop it. */
const STOP_BOUND_MS = 15_000;
/** The captive portal's host: another host than the site's (loopback, so nothing leaves the machine). */
const PORTAL = 'http://127.0.0.2:9/login?continue=%2Fupload';

const CHANGES = ['rewrite-while-uploading', 'same-size-mtime-while-uploading', 'camera-format', 'fifo', 'symlink'] as const;
const EXTRA_CHANGES = ['rewrite-while-uploading', 'same-size-mtime-while-uploading', 'counter-restart'] as const;
type Change = (typeof CHANGES)[number] | (typeof EXTRA_CHANGES)[number];

interface Fault {
  readonly kind: string;
  readonly phase: string;
}

/** What one round of changing-world works with. */
class ChangingWorld {
  readonly ledger = new VersionLedger();
  readonly faults: Fault[] = [];
  readonly changes: SourceChanges;
  private readonly aimed = new Set<string>();
  private newFiles = 0;

  constructor(
    readonly world: ChaosWorld,
    readonly rng: Rng,
    readonly secret: Secret,
    readonly log: (line: string) => void,
  ) {
    this.changes = new SourceChanges(this.ledger, join(world.dir, 'changes-tmp'));
  }

  source(id: string): SourceInfo {
    const s = this.world.sources.find((x) => x.configId === id);
    if (!s) throw new Error(`no source ${id} in this world`);
    return s;
  }

  fault(kind: string, phase: string): void {
    this.log(`fault ${kind} (${phase})`);
    this.faults.push({ kind, phase });
  }

  /** Polls the catalog (bounded) for a newest row in `state` of `sourceId` whose path holds the world's stable current version, not aimed at before. */
  async aimAt(state: FileRecord['state'], sourceId: string, until: number): Promise<{ row: FileRecord; version: SourceVersion } | undefined> {
    for (let i = 0; i < 10_000 && Date.now() < until; i++) {
      const rows = this.world.readCatalog((c: Catalog) => [...latestRows(c).values()].filter((r) => r.state === state && r.sourceId === sourceId)) ?? [];
      for (const row of this.rng.chance(0.5) ? rows.reverse() : rows) {
        const v = this.ledger.current(versionKey({ source: this.source(sourceId), path: row.path }));
        if (v?.kind === 'stable' && v.size === row.size && v.size > 0 && !this.aimed.has(versionKey(v))) {
          this.aimed.add(versionKey(v));
          return { row, version: v };
        }
      }
      await sleep(POLL_MS);
    }
    return undefined;
  }

  newName(dir: string, ext: string): string {
    return `${dir}/IMG_${String(this.newFiles++).padStart(4, '0')}.${ext}`;
  }
}

/**
 * One round of `changing-world` (issue 17): the real agent moves files (`policy: move`) off a local
 * directory and an FTP camera to the NAS (and `*.ulg` to Flight Review) while the world changes under it
 * — files rewritten under the same name (also while the camera is down, as after a format), replaced
 * with other bytes of the same size and mtime, growing, swapped for FIFOs and for symlinks to a secret
 * outside the source — and the targets lie (a captive portal answers Flight Review's uploads with a 302
 * elsewhere; the NAS already holds older, different files of the same size at target paths). Every
 * version the world writes is recorded with its sha256; the checks then say which version was lost.
 */
export async function runChangingWorldRound(options: RoundOptions): Promise<RoundResult> {
  const startedAt = Date.now();
  const rng = createRng(options.seed);
  const log = options.log ?? (() => undefined);
  const world = await ChaosWorld.create(TOPOLOGY, rng.fork('topology'), options);
  live.add(world);
  let watcher: SourceWatcher | undefined;
  try {
    const secret: Secret = { marker: `FILESYNC-CHAOS-SECRET-${options.seed}`, files: new Map() };
    const cw = new ChangingWorld(world, rng.fork('faults'), secret, log);
    await firstFiles(cw, rng.fork('files'));
    await lieTargets(cw);
    const targets = new TargetContent(world.simRoot('nas'), () => flightReviewCopies(world));
    watcher = new SourceWatcher(cw.ledger, targets);
    watcher.start();
    world.startAgent();
    await world.agent?.ready.catch(() => undefined);
    const faultDeadline = Date.now() + (options.faultMs ?? 20_000);
    await Promise.all([flow(cw, faultDeadline), growers(cw, faultDeadline), changeSchedule(cw, faultDeadline)]);
    const timedOut = await awaitStable(cw, options.deliverMs ?? 60_000);
    await watcher.stop();
    await watcher.judgeUnjudged();
    const agentExit = await world.stopAgent(STOP_BOUND_MS);
    const { report, figures } = await checkChangingWorld(cw.ledger, targets, secret, (v) => world.readCatalog((c) => refusal(c, v), true));
    if (agentExit !== 'clean') report.problems.push(`agent's stop (SIGTERM) was ${agentExit}; its stderr ends: ${world.agent?.stderrTail().slice(-1500) ?? ''}`);
    const phases: Record<string, number> = {};
    for (const f of cw.faults) phases[f.phase] = (phases[f.phase] ?? 0) + 1;
    return {
      ...report,
      scenario: 'changing-world',
      seed: options.seed,
      faults: cw.faults.length,
      files: cw.ledger.all().length,
      timedOut,
      agentStarts: world.starts,
      agentExit,
      phases,
      seconds: Math.round((Date.now() - startedAt) / 100) / 10,
      changingWorld: figures,
    };
  } finally {
    await watcher?.stop().catch(() => undefined);
    live.delete(world);
    await world.cleanup();
  }
}

/**
 * A file outside every source for a symlink to point at instead of `v`: the same size and mtime as `v`, so
 * that a listing that follows the link sees the same file; a ULog header (a site would take it), then the
 * marker over and over.
 */
async function secretLike(cw: ChangingWorld, v: SourceVersion): Promise<string> {
  const st = await lstat(join(v.source.dirs[0]!, v.path));
  const path = join(cw.world.dir, 'outside', `secret-${cw.secret.files.size}.ulg`);
  await mkdir(join(cw.world.dir, 'outside'), { recursive: true });
  const lines = Buffer.from(`${cw.secret.marker}\n`.repeat(Math.ceil(st.size / (cw.secret.marker.length + 1)) + 1));
  await writeFile(path, Buffer.concat([contentFor('x.ulg', 64), lines]).subarray(0, st.size));
  await utimes(path, st.atime, st.mtime);
  cw.secret.files.set(path, await sha256File(path));
  return path;
}

/** The sources before the agent starts: the camera's files (written by the world's set-up), and the local directory's. */
async function firstFiles(cw: ChangingWorld, rng: Rng): Promise<void> {
  const camera = cw.source('camera');
  for (const path of await listFiles(camera.dirs[0]!)) {
    const file = join(camera.dirs[0]!, path);
    const st = await lstat(file);
    cw.ledger.add({ source: camera, path, cause: 'initial', kind: 'stable', sha256: await sha256File(file), size: st.size, ino: st.ino, writtenAt: Date.now() });
  }
  const local = cw.source(LOCAL_SOURCE);
  const images = rng.int(4, 6);
  for (let i = 0; i < images; i++) await cw.changes.write(local, cw.newName('img', 'jpg'), rng.int(30 * KIB, 250 * KIB), 'initial');
  for (let i = 0; i < 2; i++) await cw.changes.write(local, `logs/flight_${i}.ulg`, rng.int(40 * KIB, 150 * KIB), 'initial');
}

/**
 * Targets that lie: in half the rounds, older, different files of the same size at the target paths of one
 * camera file and one local file; a captive portal in front of Flight Review for the first 2–3 uploads.
 */
async function lieTargets(cw: ChangingWorld): Promise<void> {
  const nonEmpty = (id: string): SourceVersion[] => cw.ledger.all().filter((v) => v.source.configId === id && v.size > 0);
  // Half the rounds: on main 4c8eece such a file stalls every upload to the NAS, which would hide the other changes' findings.
  const decoys = cw.rng.chance(0.5) ? [cw.rng.pick(nonEmpty('camera')), cw.rng.pick(nonEmpty(LOCAL_SOURCE))] : [];
  for (const v of decoys) {
    const file = join(cw.world.simRoot('nas'), targetRel({ source: v.source, path: v.path, size: v.size, sha256: v.sha256 }));
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, contentFor(v.path, v.size));
    // Older: from a day before, as a copy an earlier run (or another tool) left there.
    const dayAgo = new Date(Date.now() - 86_400_000);
    await utimes(file, dayAgo, dayAgo);
    cw.ledger.decoys.add(await sha256File(file));
    cw.fault('nas:older-file-same-size', 'before-start');
  }
  const times = cw.rng.int(2, 3);
  await control(cw.world.controlUrl(FLIGHT_REVIEW), 'POST', '/faults', { type: 'redirect', location: PORTAL, times });
  cw.fault(`flight-review:captive-portal×${times}`, 'before-start');
}

/** New files while the agent runs, as a camera takes pictures: something to aim at all along. */
async function flow(cw: ChangingWorld, until: number): Promise<void> {
  const rng = cw.rng.fork('flow');
  const local = cw.source(LOCAL_SOURCE);
  const camera = cw.source('camera');
  for (let i = 0; i < 1000 && Date.now() < until - 3000; i++) {
    if (i % 4 === 3) await cw.changes.write(local, `logs/flight_n${i}.ulg`, rng.int(30 * KIB, 120 * KIB), 'new');
    else await cw.changes.write(local, cw.newName('img', 'jpg'), rng.int(30 * KIB, 200 * KIB), 'new');
    if (i % 2 === 1) await cw.changes.write(camera, cw.newName('dcim/new', 'jpg'), rng.int(30 * KIB, 200 * KIB), 'new');
    await sleep(rng.int(800, 1500));
  }
}

/** A log on the local directory (and half the time one on the camera) appended to for 2–6 s, then closed. */
async function growers(cw: ChangingWorld, until: number): Promise<void> {
  const rng = cw.rng.fork('growers');
  const grow = async (source: SourceInfo, path: string): Promise<void> => {
    await sleep(rng.int(500, 4000));
    const ms = Math.min(rng.int(2000, 6000), Math.max(1000, until - Date.now()));
    cw.fault(`grow:${source.configId}`, 'any');
    await cw.changes.grow(source, path, ms, rng.fork(path));
  };
  await Promise.all([grow(cw.source(LOCAL_SOURCE), 'logs/telemetry.csv'), rng.chance(0.5) ? grow(cw.source('camera'), 'dcim/rec/REC_0000.log') : undefined]);
}

/** Every kind of change once, in a seeded order, and one or two more; each aimed at the moment it is about. */
async function changeSchedule(cw: ChangingWorld, until: number): Promise<void> {
  const rng = cw.rng.fork('schedule');
  const order: Change[] = CHANGES.filter((c) => c !== 'fifo' && c !== 'symlink');
  for (let i = rng.int(1, 2); i > 0; i--) order.push(rng.pick(EXTRA_CHANGES));
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  // The traps last: an agent a FIFO stalls then still meets every other change first, so a round tells its bugs apart.
  order.push(...(rng.chance(0.5) ? (['fifo', 'symlink'] as const) : (['symlink', 'fifo'] as const)));
  for (const change of order) {
    if (Date.now() >= until) {
      cw.log(`no time left for ${change}`);
      continue;
    }
    await applyChange(cw, change, rng, Math.min(until, Date.now() + AIM_MS));
  }
}

async function applyChange(cw: ChangingWorld, change: Change, rng: Rng, until: number): Promise<void> {
  const local = cw.source(LOCAL_SOURCE);
  const camera = cw.source('camera');
  switch (change) {
    case 'rewrite-while-uploading':
    case 'same-size-mtime-while-uploading': {
      // Read into staging, on its way to the targets, not yet removed: the cleaner's next delete is by path.
      // In place with the same size and mtime only where the agent can tell (a local file has ctime and
      // inode); an FTP camera shows size and mtime alone, which say nothing changed, and offers no checksum.
      const sourceId = change === 'same-size-mtime-while-uploading' || rng.chance(0.5) ? LOCAL_SOURCE : 'camera';
      const hit = await cw.aimAt('staged', sourceId, until);
      if (!hit) return cw.log(`${change}: no ${sourceId} file was staged within ${AIM_MS} ms`);
      cw.fault(`${change}:${sourceId}`, 'staged');
      if (change === 'same-size-mtime-while-uploading') await cw.changes.replaceSameSizeAndMtime(hit.version.source, hit.version.path);
      else await cw.changes.write(hit.version.source, hit.version.path, otherSize(rng, hit.version.size), 'rewritten');
      return;
    }
    case 'camera-format': {
      // The camera goes away (a format), and comes back with its counter restarted: the same names, other files.
      const hit = await cw.aimAt('staged', 'camera', until);
      const downMs = rng.int(1500, 3000);
      cw.fault(`camera-format:down ${downMs} ms`, hit ? 'staged' : 'any');
      const restart = control(cw.world.controlUrl('camera'), 'POST', `/restart?downMs=${downMs}`);
      await sleep(150);
      const gone = cw.ledger.keys().map((k) => cw.ledger.versionsOf(k).at(-1)!).filter((v) => v.source === camera && v.end?.how === 'gone');
      const reuse = [...(hit ? [hit.version] : []), ...gone.slice(0, 2)];
      for (const v of reuse) await cw.changes.write(camera, v.path, otherSize(rng, v.size), 'counter-restart');
      await restart;
      return;
    }
    case 'counter-restart': {
      // A new file under the name of one already moved: a new version, to be delivered beside the first.
      const gone = cw.ledger.keys().map((k) => cw.ledger.versionsOf(k).at(-1)!).filter((v) => v.source === local && v.end?.how === 'gone' && v.kind === 'stable');
      if (gone.length === 0) return cw.log('counter-restart: no local file was removed yet');
      const v = rng.pick(gone);
      cw.fault('counter-restart:local', 'removed');
      await cw.changes.write(local, v.path, otherSize(rng, v.size), 'counter-restart');
      return;
    }
    case 'fifo':
    case 'symlink': {
      // A burst of files, so that some wait listed but unopened (staging is full), then one of them swapped.
      const dir = `burst-${change}`;
      for (let i = 0; i < 4; i++) await cw.changes.write(local, cw.newName(dir, 'jpg'), rng.int(150 * KIB, 300 * KIB), 'new');
      const hit = await cw.aimAt('found', LOCAL_SOURCE, until);
      const target = hit?.version ?? cw.ledger.current(cw.ledger.keys().filter((k) => cw.ledger.current(k)?.source === local && cw.ledger.current(k)?.kind === 'stable').at(-1) ?? '');
      if (!target) return cw.log(`${change}: no local file to swap`);
      cw.fault(`${change}:local`, hit ? 'found' : 'any');
      await cw.changes.swap(local, target.path, change, change === 'symlink' ? await secretLike(cw, target) : '');
      return;
    }
  }
}

/** A size for a rewrite: never the old one, so that a device that shows only size and mtime can tell. */
function otherSize(rng: Rng, old: number): number {
  const size = rng.int(20 * KIB, 200 * KIB);
  return size === old ? size + 1 : size;
}

/**
 * Waits (bounded) until every file the world left stable is gone from its source (moved) or refused (its
 * newest row `failed`): the real files say when, not the catalog. True when the bound ran out, or the agent
 * exited on its own.
 */
async function awaitStable(cw: ChangingWorld, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (let i = 0; i < 100_000 && Date.now() < until; i++) {
    const waiting: SourceVersion[] = [];
    for (const key of cw.ledger.keys()) {
      const v = cw.ledger.current(key);
      if (!v || v.kind !== 'stable') continue;
      const st = await lstat(join(v.source.dirs[0]!, v.path)).catch(() => undefined);
      if (st && st.ino === v.ino) waiting.push(v);
    }
    const refused = cw.world.readCatalog((c) => waiting.filter((v) => refusal(c, v) !== undefined).length);
    if (waiting.length === 0 || (refused !== undefined && refused === waiting.length)) return false;
    if (!cw.world.agent?.isRunning()) {
      cw.log(`agent exited on its own: ${cw.world.agent?.stderrTail() ?? ''}`);
      return true;
    }
    await sleep(250);
  }
  cw.log(`not delivered in time; agent stderr: ${cw.world.agent?.stderrTail().slice(-1500) ?? ''}`);
  return true;
}
