import type { Catalog } from '@filesync/store';
import type { ScenarioContext } from '../scenario';

/** Where a kill is aimed: a random instant, or a moment the catalog shows a given kind of work under way. */
export type Aim = 'any' | 'start-up' | 'downloading' | 'uploading' | 'removing';
export const AIMS: readonly Aim[] = ['any', 'start-up', 'downloading', 'uploading', 'removing'];

/** Waits for `promise` at most `ms`, leaving no timer behind (a pending one would keep the runner alive). */
async function withTimeout(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

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
export async function waitForAim(ctx: ScenarioContext, aim: Aim): Promise<void> {
  const agent = ctx.world.agent;
  if (aim === 'start-up') {
    await ctx.sleep(ctx.rng.between(0, 2500));
    return;
  }
  await withTimeout(agent?.ready.catch(() => undefined), 60_000);
  if (aim === 'any') {
    await ctx.sleep(ctx.rng.between(100, 3000));
    return;
  }
  await ctx.waitFor(busy[aim], 8_000);
  await ctx.sleep(ctx.rng.between(0, 400));
}
