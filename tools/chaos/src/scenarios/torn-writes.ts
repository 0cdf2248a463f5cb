import { MIB } from '../content';
import type { Scenario } from '../scenario';
import { tearUnsynced } from '../torn-writes/tear';
import { AIMS, waitForAim } from './aim';

/**
 * A power cut as the disk sees it: SIGKILL the agent — at an instant aimed from outside, or from inside
 * just before one of its staging fsyncs (the preload does it, with a small probability per fsync) — then
 * cut every staging file back to its size at its last fsync (from the fsync journal preloaded into the
 * agent), dropping what the page cache held.
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
    const cutting = { cutAtFsync: CUT_AT_FSYNC };
    // The first agent was started plain: a cut during its start-up, then one whose fsyncs may be cuts.
    await ctx.sleep(ctx.rng.between(0, 2000));
    await ctx.fault('power-cut:start-up');
    await ctx.world.killAgent();
    await tearUnsynced(ctx.world.stagingDir, ctx.world.fsyncJournal);
    ctx.world.startAgent({ ...cutting, seed: ctx.rng.int(1, 1e9) });
    for (let k = 0; k < cuts && Date.now() < ctx.faultDeadline; k++) {
      const agent = ctx.world.agent!;
      // Either the agent cuts itself at an fsync, or the runner cuts it, mostly mid-download.
      const aimed = waitForAim(ctx, ctx.rng.chance(0.7) ? 'downloading' : ctx.rng.pick(AIMS)).then(() => 'aimed' as const);
      const how = await Promise.race([agent.exited.then(() => 'at-fsync' as const), aimed]);
      // At least one fault per round, even if the agent was quicker than the aim.
      if (k > 0 && ctx.delivered() === ctx.manifest.size) break;
      await ctx.fault(how === 'at-fsync' ? 'power-cut:at-fsync' : 'power-cut:torn');
      await ctx.world.killAgent();
      const torn = await tearUnsynced(ctx.world.stagingDir, ctx.world.fsyncJournal);
      ctx.log(`cut ${k + 1} (${how}): dropped ${torn.bytesDropped} unsynced bytes from ${torn.files} staging file(s)`);
      await ctx.sleep(ctx.rng.between(0, 500));
      ctx.world.startAgent({ ...cutting, seed: ctx.rng.int(1, 1e9) });
    }
    // Delivery is waited for with an agent that does not cut itself.
    await ctx.fault('power-cut:torn');
    await ctx.world.killAgent();
    await tearUnsynced(ctx.world.stagingDir, ctx.world.fsyncJournal);
    ctx.world.startAgent();
  },
};

/** Chance that one staging fsync is a cut: a round has a few hundred checkpoints (one per 256 KiB). */
const CUT_AT_FSYNC = 0.06;
