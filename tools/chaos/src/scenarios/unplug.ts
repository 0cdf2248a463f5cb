import { control } from '../control';
import type { Scenario, ScenarioContext } from '../scenario';
import { waitForAim, waitForStagingGrowth } from './aim';

/** A pull counts as mid-file once this much of a video is staged (JPEGs are smaller: only videos qualify). */
const MID_FILE_BYTES = 1024 * 1024;

const flash = (ctx: ScenarioContext, path: '/unplug' | '/insert'): Promise<unknown> => control(ctx.world.controlUrl('flash'), 'POST', path);

/**
 * Pull the flash drive (under `move`) mid-file, mid-removal or at a random instant, and put it back
 * after a while; some pulls happen while the agent is down (killed before or after the pull), so the
 * agent comes back to a drive that is gone, or that came back while it was away.
 */
export const unplug: Scenario = {
  name: 'unplug',
  summary: 'pull the flash drive mid-file and mid-removal and re-insert it, also while the agent is down',
  topology: () => ({
    // Videos large enough that a pull lands inside one (the drive reads at disk speed; staging fsyncs each checkpoint).
    flash: { sessions: 2, images: 6, videos: 1, jpegKib: '40-400', videoMib: '16-24' },
    nas: { bandwidth: 4 * 1024 * 1024 },
  }),
  async inject(ctx) {
    const pulls = ctx.rng.int(3, 5);
    for (let k = 0; k < pulls && Date.now() < ctx.faultDeadline; k++) {
      const how = ctx.rng.pick(['mid-file', 'mid-file', 'mid-removal', 'any', 'agent-down', 'agent-down'] as const);
      // The agent-down pulls also land mid-download: the agent then comes back to a half-staged file.
      // A video is read at disk speed, faster than the catalog's poll: its staging `.part` is watched instead.
      if (how === 'mid-removal' || how === 'any') await waitForAim(ctx, how === 'any' ? 'any' : 'removing');
      else if (!(await waitForStagingGrowth(ctx, MID_FILE_BYTES, 6_000))) await waitForAim(ctx, 'downloading');
      // At least one fault per round, even if the agent was quicker than the aim.
      if (k > 0 && ctx.delivered() === ctx.manifest.size) break;
      await ctx.fault(`unplug:${how}`);
      if (how === 'agent-down') {
        // Killed with the drive in, or pulled first and then killed; back with the drive in or out.
        const killFirst = ctx.rng.chance(0.5);
        if (killFirst) await ctx.world.killAgent();
        await flash(ctx, '/unplug');
        if (!killFirst) {
          await ctx.sleep(ctx.rng.between(0, 500));
          await ctx.world.killAgent();
        }
        const insertBeforeStart = ctx.rng.chance(0.5);
        if (insertBeforeStart) await flash(ctx, '/insert');
        ctx.world.startAgent();
        await ctx.sleep(ctx.rng.between(500, 3000));
        if (!insertBeforeStart) await flash(ctx, '/insert');
      } else {
        await flash(ctx, '/unplug');
        await ctx.sleep(ctx.rng.between(300, 3000));
        await flash(ctx, '/insert');
      }
    }
  },
};
