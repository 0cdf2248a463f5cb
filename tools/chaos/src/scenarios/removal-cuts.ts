import { type AgentProcess, settlesWithin } from '../agent-process';
import { MIB } from '../content';
import { type RemovalSide, armRemovalCut, disarmRemovalCut, takenRemovalCut } from '../removal-cuts/trigger';
import type { Scenario, ScenarioContext } from '../scenario';
import { WHOLE_DRONE, cutPower } from './power-loss';

/**
 * A cut waits this long for a removal, even past the fault budget: the agent's start-up after the
 * previous cut and the next file's way to the NAS come first. The first two cuts (one each side) are
 * always tried; more only within the budget.
 */
const CUT_WAIT_MS = 60_000;
const POLL_MS = 250;

/** How long a process that took a cut may take to die (SIGKILL of itself: milliseconds). */
const DYING_MS = 10_000;

/** Waits until the agent exits (it took the cut), every file is at its end state (no removal will come), or `ms` pass. */
async function untilCutOrDone(ctx: ScenarioContext, agent: AgentProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (let i = 0; i < ms / POLL_MS + 1 && Date.now() < until; i++) {
    if (await settlesWithin(agent.exited, POLL_MS)) return;
    if (ctx.delivered() === ctx.manifest.size) return;
  }
}

/**
 * Power cuts inside the cleaner's work under `move`: the agent cuts itself (an unlink hook preloaded
 * into it) just before or just after it deletes a file from the flash drive — before it can record the
 * removal. Sides alternate, so a file cut before its delete is often cut again just after it on the next
 * start. Some cuts take the whole drone down, the drive with it.
 */
export const removalCuts: Scenario = {
  name: 'removal-cuts',
  summary: 'power cuts just before and just after the cleaner deletes a file from the flash drive (unlink hook preloaded into the agent)',
  topology: () => ({
    flash: { sessions: 2, images: 6, videos: 1, jpegKib: '40-300', videoMib: '1-2' },
    nas: { bandwidth: 4 * MIB },
    removalCuts: true,
  }),
  async inject(ctx) {
    const trigger = ctx.world.removalCutTrigger;
    const cuts = ctx.rng.int(3, 5);
    let side: RemovalSide = ctx.rng.pick(['before', 'after'] as const);
    for (let k = 0; k < cuts && (k < 2 || Date.now() < ctx.faultDeadline); k++) {
      const agent = ctx.world.agent;
      if (!agent) return;
      await armRemovalCut(trigger, side);
      await untilCutOrDone(ctx, agent, CUT_WAIT_MS);
      if (!(await disarmRemovalCut(trigger))) {
        ctx.log(`no removal was cut (cut ${k + 1} of ${cuts}): ${ctx.delivered() === ctx.manifest.size ? 'every file is removed' : `none came within ${CUT_WAIT_MS} ms`}`);
        return;
      }
      // The agent took the cut: it is dying, if not dead yet (cutPower kills it if the hook failed to).
      if (!(await settlesWithin(agent.exited, DYING_MS))) ctx.log(`the agent took cut ${k + 1} but was still running after ${DYING_MS} ms`);
      const cut = await takenRemovalCut(trigger);
      await ctx.fault(`power-cut:${cut.side}-unlink`, { phase: `removing (${cut.side} unlink)` });
      ctx.log(`cut ${k + 1}: ${cut.side} unlink of ${cut.path}`);
      await cutPower(ctx, ctx.rng.chance(WHOLE_DRONE));
      side = side === 'before' ? 'after' : 'before';
    }
  },
};
