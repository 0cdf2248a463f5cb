import { control } from '../control';
import { MIB } from '../content';
import type { Scenario } from '../scenario';
import { waitForAim } from './aim';

/**
 * The FTP target runs out of space: a quota below what the round needs (552 once the root would pass
 * it), or 552 after some bytes of one upload; space comes back after a while (an operator or a
 * retention job frees it). Staging is limited by its quota (`staging.maxBytes`, below the total), which
 * holds downloads back until uploads free it. A real ENOSPC on the staging disk is not produced: that
 * needs a small file system (a loop or tmpfs mount) this runner cannot make without root.
 */
export const diskFull: Scenario = {
  name: 'disk-full',
  summary: 'the FTP target runs out of space (quota, 552 mid-upload) and recovers; staging is held to a quota below the total',
  topology: () => ({
    camera: { files: 16, maxBytes: 3 * MIB, bandwidth: 8 * MIB },
    nas: { bandwidth: 6 * MIB },
    staging: { maxBytes: 8 * MIB },
  }),
  async inject(ctx) {
    const nas = ctx.world.controlUrl('nas');
    const total = [...ctx.manifest.values()].reduce((n, e) => n + e.size, 0);
    const faults = ctx.rng.int(2, 4);
    for (let k = 0; k < faults && Date.now() < ctx.faultDeadline; k++) {
      const kind = ctx.rng.pick(['quota', 'no-space-mid-upload'] as const);
      await waitForAim(ctx, 'uploading');
      // At least one fault per round, even if the agent was quicker than the aim.
      if (k > 0 && ctx.delivered() === ctx.manifest.size) break;
      await ctx.fault(`nas:${kind}`, { armed: true });
      if (kind === 'quota') {
        // Full at about where the NAS is now (somewhere under the total), for a while.
        await control(nas, 'POST', '/faults', { quotaBytes: Math.floor(total * ctx.rng.between(0.2, 0.9)) });
        await ctx.sleep(ctx.rng.between(2000, 6000));
        await control(nas, 'POST', '/faults', { quotaBytes: null });
      } else {
        await control(nas, 'POST', '/faults', { noSpaceAfterBytes: ctx.rng.int(1, 2 * MIB), noSpaceTimes: ctx.rng.int(1, 3) });
        await ctx.sleep(ctx.rng.between(1000, 4000));
      }
    }
    await control(nas, 'DELETE', '/faults');
  },
};
