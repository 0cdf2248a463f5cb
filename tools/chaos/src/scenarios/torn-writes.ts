import { MIB } from '../content';
import type { Scenario } from '../scenario';
import { tearUnsynced } from '../torn-writes/tear';
import { AIMS, waitForAim } from './aim';

/**
 * A power cut as the disk sees it: SIGKILL the agent, then cut every staging file back to its size at
 * its last fsync (from the fsync journal preloaded into the agent), dropping what the page cache held.
 * The fsync-before-record rule says the catalog never records an offset past that size: a staging
 * file shorter than its record after the cut (a `file.download-reset`) fails the round.
 * The catalog itself is not torn: SQLite with synchronous=FULL fsyncs each commit, and its own writes
 * (native code) do not pass through the journal.
 */
export const tornWrites: Scenario = {
  name: 'torn-writes',
  summary: 'power cuts that also drop staging bytes written since their last fsync (fsync journal preloaded into the agent)',
  topology: () => ({
    flash: { sessions: 2, images: 5, videos: 1, jpegKib: '40-300', videoMib: '4-8' },
    camera: { files: 12, maxBytes: 3 * MIB, bandwidth: 2 * MIB },
    nas: { bandwidth: 4 * MIB },
    tornWrites: true,
  }),
  async inject(ctx) {
    const cuts = ctx.rng.int(3, 6);
    for (let k = 0; k < cuts && Date.now() < ctx.faultDeadline; k++) {
      // Mostly mid-download: that is where staging has unsynced bytes to lose.
      await waitForAim(ctx, ctx.rng.chance(0.7) ? 'downloading' : ctx.rng.pick(AIMS));
      if (ctx.delivered() === ctx.manifest.size) break;
      await ctx.fault('power-cut:torn');
      await ctx.world.killAgent();
      const torn = await tearUnsynced(ctx.world.stagingDir, ctx.world.fsyncJournal);
      ctx.log(`cut ${k + 1}: dropped ${torn.bytesDropped} unsynced bytes from ${torn.files} staging file(s)`);
      await ctx.sleep(ctx.rng.between(0, 500));
      ctx.world.startAgent();
    }
  },
};
