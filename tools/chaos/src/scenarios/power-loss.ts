import { control } from '../control';
import { MIB } from '../content';
import type { Scenario, ScenarioContext } from '../scenario';
import { AIMS, waitForAim } from './aim';

/** The share of cuts that take the whole drone down, not only the companion computer. */
export const WHOLE_DRONE = 0.3;

/**
 * One power cut: the agent is SIGKILLed; if `wholeDrone`, the PX4 reboots, the flash drive loses power
 * with it (pulled, back in as the agent boots) and the FTP camera goes down and boots again, in its own
 * time. Then the agent starts again.
 */
export async function powerCut(ctx: ScenarioContext, wholeDrone: boolean): Promise<void> {
  await ctx.fault(wholeDrone ? 'power-cut:drone' : 'power-cut:agent');
  await cutPower(ctx, wholeDrone);
}

/**
 * The cut itself, its fault already counted: the agent is killed (a no-op if it took the cut itself),
 * the drone's devices go down with it if `wholeDrone`, then the agent starts again.
 */
export async function cutPower(ctx: ScenarioContext, wholeDrone: boolean): Promise<void> {
  await ctx.world.killAgent();
  let cameraBack: Promise<unknown> = Promise.resolve();
  if (wholeDrone) {
    if (ctx.world.sims.has('px4')) await control(ctx.world.controlUrl('px4'), 'POST', '/reboot', { downMs: ctx.rng.int(500, 2000) });
    await control(ctx.world.controlUrl('flash'), 'POST', '/unplug');
    // The answer comes when the camera is back up: the agent starts meanwhile, as it would.
    if (ctx.world.sims.has('camera')) cameraBack = control(ctx.world.controlUrl('camera'), 'POST', `/restart?downMs=${ctx.rng.int(500, 3000)}`);
  }
  await ctx.sleep(ctx.rng.between(0, 1000));
  if (wholeDrone) await control(ctx.world.controlUrl('flash'), 'POST', '/insert');
  ctx.world.startAgent();
  await cameraBack;
}

/**
 * SIGKILL the agent at random instants — aimed at downloads, uploads, the cleaner's deletions under
 * `move`, start-up, or anywhere — then start it again. A third of the cuts are of the whole drone:
 * the PX4 reboots, the flash drive loses power (pulled, and back in when the agent boots) and the FTP
 * camera restarts; the NAS and Flight Review are on the ground and stay up.
 */
export const powerLoss: Scenario = {
  name: 'power-loss',
  summary: 'SIGKILL the agent (and with it, sometimes, the whole drone) during downloads, uploads, catalog writes, renames and deletions',
  topology: () => ({
    px4: { logs: 2, minBytes: 40_000, maxBytes: 150_000 },
    flash: { sessions: 2, images: 5, videos: 1, jpegKib: '40-300', videoMib: '2-3' },
    camera: { files: 16, maxBytes: 3 * MIB, bandwidth: 4 * MIB },
    flightReview: true,
    nas: { bandwidth: 4 * MIB },
  }),
  async inject(ctx) {
    const kills = ctx.rng.int(3, 6);
    for (let k = 0; k < kills && Date.now() < ctx.faultDeadline; k++) {
      await waitForAim(ctx, ctx.rng.pick(AIMS));
      // At least one fault per round, even if the agent was quicker than the aim.
      if (k > 0 && ctx.delivered() === ctx.manifest.size) break;
      await powerCut(ctx, ctx.rng.chance(WHOLE_DRONE));
    }
  },
};
