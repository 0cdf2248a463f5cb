import { control } from '../control';
import { KIB, MIB } from '../content';
import type { Scenario, ScenarioContext } from '../scenario';
import { waitForAim, waitForStagingGrowth } from './aim';

type Fault = 'quota' | 'no-space-mid-upload' | 'data-disk-full';

/**
 * Both ends run out of space and recover. The FTP target: a quota below what the round needs (552 once
 * the root would pass it), or 552 after some bytes of one upload; space comes back after a while (an
 * operator or a retention job frees it). The agent's own disk — its data directory with the catalog and
 * staging, as by default, on a small disk of its own (a tmpfs; needs root) — is filled by another program
 * mid-download: staging's writes fail with a real ENOSPC, the catalog's with SQLITE_FULL and, below the
 * reserve, downloads wait; then the program's file goes away. Staging is also limited by its quota
 * (`staging.maxBytes`, below the total), which holds downloads back until uploads free it.
 */
export const diskFull: Scenario = {
  name: 'disk-full',
  summary: 'the agent\'s disk (catalog and staging, filled mid-download) and the FTP target (quota, 552 mid-upload) run out of space and recover; staging is held to a quota below the total',
  topology: () => ({
    camera: { files: 16, maxBytes: 3 * MIB, bandwidth: 2 * MIB },
    nas: { bandwidth: 6 * MIB },
    staging: { maxBytes: 8 * MIB },
    dataDisk: { bytes: 16 * MIB, reserveBytes: 512 * KIB },
  }),
  async inject(ctx) {
    const nas = ctx.world.controlUrl('nas');
    const total = [...ctx.manifest.values()].reduce((n, e) => n + e.size, 0);
    const faults = ctx.rng.int(2, 4);
    const nasFaults: Fault[] = ['quota', 'no-space-mid-upload'];
    for (let k = 0; k < faults && Date.now() < ctx.faultDeadline; k++) {
      // The first fault fills the agent's disk, where it can be filled: the one fault only this scenario makes.
      const kind: Fault = ctx.world.dataDisk && k === 0 ? 'data-disk-full' : ctx.rng.pick(ctx.world.dataDisk ? [...nasFaults, 'data-disk-full'] : nasFaults);
      if (kind === 'data-disk-full') {
        if (!(await waitForStagingGrowth(ctx, 256 * KIB, 6_000))) await waitForAim(ctx, 'downloading');
      } else await waitForAim(ctx, 'uploading');
      // At least one fault per round, even if the agent was quicker than the aim.
      if (k > 0 && ctx.delivered() === ctx.manifest.size) break;
      await ctx.fault(kind === 'data-disk-full' ? 'data-disk:full' : `nas:${kind}`, { armed: kind !== 'data-disk-full' });
      if (kind === 'data-disk-full') await fillDataDisk(ctx);
      else if (kind === 'quota') {
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

/**
 * Another program fills the agent's disk to all but a few KiB for 2–6 s, then deletes its file. A camera
 * download the agent then drops leaves what was in its sockets unread: measured, as at a kill.
 */
async function fillDataDisk(ctx: ScenarioContext): Promise<void> {
  const disk = ctx.world.dataDisk!;
  const { dropped, lostBytes } = await ctx.observer.measureLostInFlightAround(async () => {
    const taken = await disk.fillLeaving(ctx.rng.int(0, 64 * KIB));
    ctx.log(`agent's disk filled: ${taken} bytes taken`);
    await ctx.sleep(ctx.rng.between(2000, 6000));
    await disk.empty();
  });
  ctx.log(`agent's disk freed: ${dropped} camera download(s) dropped by the agent, ${lostBytes} bytes unread in their sockets`);
}
