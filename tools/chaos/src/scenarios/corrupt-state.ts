import { randomBytes } from 'node:crypto';
import { open, readdir, rm, stat, truncate } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MIB } from '../content';
import type { Scenario, ScenarioContext } from '../scenario';
import { waitForAim } from './aim';

const PAGE = 4096;

/** Overwrites `pages` random pages of `file` with random bytes (the header page included, sometimes). */
async function scribble(file: string, pages: number, ctx: ScenarioContext): Promise<void> {
  const size = await stat(file).then((s) => s.size, () => 0);
  if (size === 0) return;
  const handle = await open(file, 'r+');
  try {
    for (let i = 0; i < pages; i++) {
      const page = ctx.rng.int(0, Math.max(0, Math.floor(size / PAGE) - 1));
      await handle.write(randomBytes(PAGE), 0, PAGE, page * PAGE);
    }
  } finally {
    await handle.close();
  }
}

async function backupsOf(store: string): Promise<string[]> {
  const names = await readdir(dirname(store)).catch(() => [] as string[]);
  const prefix = `${basename(store)}.backup-`;
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .sort((a, b) => Number(b.slice(prefix.length)) - Number(a.slice(prefix.length)))
    .map((n) => join(dirname(store), n));
}

const DAMAGE = ['scribble', 'truncate', 'delete-keep-wal', 'scribble-newest-backup-too', 'wipe-all'] as const;

/**
 * Between runs (the agent killed, or stopped cleanly), the catalog file is damaged: pages overwritten,
 * truncated, deleted with its WAL left behind, damaged along with its newest backup, or lost with every
 * backup. The agent must repair it without help, re-scan, and deliver everything without losing a file
 * already delivered (under `move` it may be gone from the source by then) or storing a second copy.
 */
export const corruptState: Scenario = {
  name: 'corrupt-state',
  summary: 'damage the catalog (and its backups) between runs; the agent repairs, re-scans, loses and duplicates nothing',
  topology: () => ({
    flash: { sessions: 2, images: 6, videos: 1, jpegKib: '40-400', videoMib: '2-4' },
    camera: { files: 14, maxBytes: 3 * MIB, bandwidth: 6 * MIB },
    nas: { bandwidth: 4 * MIB },
  }),
  async inject(ctx) {
    const store = ctx.world.storePath;
    const rounds = ctx.rng.int(2, 4);
    for (let k = 0; k < rounds && Date.now() < ctx.faultDeadline; k++) {
      await waitForAim(ctx, ctx.rng.pick(['any', 'uploading', 'removing'] as const));
      // At least one fault per round, even if the agent was quicker than the aim.
      if (k > 0 && ctx.delivered() === ctx.manifest.size) break;
      const damage = ctx.rng.pick(DAMAGE);
      const clean = ctx.rng.chance(0.3);
      await ctx.fault(`catalog:${damage}${clean ? ':after-clean-stop' : ''}`);
      if (clean) await ctx.world.stopAgent();
      else await ctx.world.killAgent();
      // A repair may restore an older backup: offsets go back by design, so restarts are counted, not failed.
      ctx.excuseAll();
      switch (damage) {
        case 'scribble':
          await scribble(store, ctx.rng.int(1, 8), ctx);
          break;
        case 'truncate': {
          const size = await stat(store).then((s) => s.size, () => 0);
          await truncate(store, Math.floor(size * ctx.rng.between(0, 0.9))).catch(() => undefined);
          break;
        }
        case 'delete-keep-wal':
          await rm(store, { force: true });
          break;
        case 'scribble-newest-backup-too': {
          await scribble(store, ctx.rng.int(1, 8), ctx);
          const newest = (await backupsOf(store))[0];
          if (newest) await scribble(newest, 4, ctx);
          break;
        }
        case 'wipe-all':
          for (const f of [store, `${store}-wal`, `${store}-shm`, ...(await backupsOf(store))]) await rm(f, { force: true });
          break;
      }
      ctx.world.startAgent();
    }
  },
};
