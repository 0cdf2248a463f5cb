import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '@filesync/store';
import { untilServing } from '../agent-process';
import type { ScenarioContext } from '../scenario';

/** Where a kill is aimed: a random instant, or a moment the catalog shows a given kind of work under way. */
export type Aim = 'any' | 'start-up' | 'downloading' | 'uploading' | 'removing';
export const AIMS: readonly Aim[] = ['any', 'start-up', 'downloading', 'uploading', 'removing'];

const busy: Record<Exclude<Aim, 'any' | 'start-up'>, (c: Catalog) => boolean> = {
  downloading: (c) => (c.counts().files.downloading ?? 0) > 0,
  uploading: (c) => Object.values(c.counts().byTarget).some((t) => (t.uploading ?? 0) > 0),
  // A delivered file of a `move` source is about to be removed (the cleaner's delete and its record).
  removing: (c) => c.listFiles({ state: 'delivered' }).some((f) => f.sourceId.startsWith('flir:')),
};

/**
 * Waits for the aimed moment (bounded), then a random extra delay, so a kill lands inside the work
 * (mid-chunk, between a write and its record, between a rename and its record) rather than at its edge.
 */
export async function waitForAim(ctx: ScenarioContext, aim: Aim, anyWithinMs = 3000): Promise<void> {
  const agent = ctx.world.agent;
  if (aim === 'start-up') {
    await ctx.sleep(ctx.rng.between(0, 2500));
    return;
  }
  if (agent) await untilServing(agent, 60_000);
  if (aim === 'any') {
    await ctx.sleep(ctx.rng.between(100, anyWithinMs));
    return;
  }
  await ctx.waitFor(busy[aim], 8_000);
  await ctx.sleep(ctx.rng.between(0, 400));
}

const PART_POLL_MS = 25;

/**
 * Waits (bounded by `ms`) until a staging `<fileId>.part` of at least `minBytes` is seen growing, so
 * that a fault lands inside a download already past a few checkpoints rather than between files — the
 * catalog's 100 ms poll sees a fast local read only after it ended. True when it found one.
 */
export async function waitForStagingGrowth(ctx: ScenarioContext, minBytes: number, ms: number): Promise<boolean> {
  const dir = ctx.world.stagingDir;
  const last = new Map<string, number>();
  const until = Date.now() + ms;
  for (let i = 0; i < 100_000 && Date.now() < until; i++) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!name.endsWith('.part')) continue;
      const size = await stat(join(dir, name)).then((s) => s.size, () => undefined);
      if (size === undefined) continue;
      const before = last.get(name);
      last.set(name, size);
      if (before !== undefined && size > before && size >= minBytes) return true;
    }
    await ctx.sleep(PART_POLL_MS);
  }
  return false;
}

/** An upload on the NAS an aim found: its in-transit file on disk, the file's full size, and how far it was. */
export interface NasUpload {
  /** The final name on the NAS's disk; the in-transit one is this plus `.part`. */
  readonly file: string;
  readonly size: number;
  readonly at: number;
}

/**
 * Waits (bounded by `ms`) until the NAS holds an in-transit `<path>.part` of a manifest file with at
 * least `minBytes` in it and at least `leftBytes` still to come: an upload cut there and sent again from
 * byte 0 resends more than the one allowance a resume may, so the counters can tell the two apart.
 * Files in `exclude` (final names) are passed over. Undefined when none came.
 */
export async function waitForNasPart(
  ctx: ScenarioContext,
  minBytes: number,
  leftBytes: number,
  ms: number,
  exclude: ReadonlySet<string> = new Set(),
): Promise<NasUpload | undefined> {
  // A fresh agent takes seconds to start serving (longer from a worktree tsx has not compiled yet).
  if (ctx.world.agent) await untilServing(ctx.world.agent, 60_000);
  const uploads = [...ctx.manifest.values()]
    .filter((e) => e.size >= minBytes + leftBytes)
    .map((e) => ({ file: ctx.world.targetFile(e, 'nas'), size: e.size }))
    .filter((u) => !exclude.has(u.file));
  if (uploads.length === 0) return undefined;
  const until = Date.now() + ms;
  for (let i = 0; i < 100_000 && Date.now() < until; i++) {
    for (const u of uploads) {
      const at = await stat(`${u.file}.part`).then((s) => s.size, () => undefined);
      if (at !== undefined && at >= minBytes && at <= u.size - leftBytes) return { ...u, at };
    }
    await ctx.sleep(PART_POLL_MS);
  }
  return undefined;
}

/** Waits (bounded by `ms`) until `upload` is on the NAS under its final name at its full size. */
export async function waitForNasFile(ctx: ScenarioContext, upload: NasUpload, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (let i = 0; i < 100_000 && Date.now() < until; i++) {
    if ((await stat(upload.file).then((s) => s.size, () => undefined)) === upload.size) return true;
    await ctx.sleep(4 * PART_POLL_MS);
  }
  return false;
}

/**
 * Waits (bounded by `ms`) until the NAS holds a manifest file's in-transit `<path>.part` whole while its
 * final name is still free: every byte is there and the commit (size and hash proof, then the rename)
 * is under way or next. Files in `exclude` are passed over. Undefined when none came.
 */
export async function waitForNasCommit(ctx: ScenarioContext, ms: number, exclude: ReadonlySet<string> = new Set()): Promise<NasUpload | undefined> {
  if (ctx.world.agent) await untilServing(ctx.world.agent, 60_000);
  const uploads = [...ctx.manifest.values()]
    .filter((e) => e.size > 0)
    .map((e) => ({ file: ctx.world.targetFile(e, 'nas'), size: e.size }))
    .filter((u) => !exclude.has(u.file));
  const until = Date.now() + ms;
  for (let i = 0; i < 100_000 && Date.now() < until; i++) {
    for (const u of uploads) {
      const at = await stat(`${u.file}.part`).then((s) => s.size, () => undefined);
      if (at === u.size && !(await stat(u.file).then(() => true, () => false))) return { ...u, at };
    }
    await ctx.sleep(PART_POLL_MS);
  }
  return undefined;
}
