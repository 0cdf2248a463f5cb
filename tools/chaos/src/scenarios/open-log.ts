import { control } from '../control';
import type { Scenario, ScenarioContext } from '../scenario';

/** Long enough for the simulator's logger (10 Hz) to act on an arm or a disarm. */
const LOGGER_TICK_MS = 300;

/**
 * PX4 logs from boot (SDLOG_MODE 1, PX4 SITL's setting): the newest log is open and growing while the
 * agent runs. Mid-growth, PX4 reboots (the log stays torn; a new one opens from boot) or is armed and
 * disarmed (closes the log; no transfer while armed). At the end an arm→disarm closes the last one. Every
 * log must then be on the NAS exactly as it is on the card: never a prefix, never vanished or failed.
 */
export const openLog: Scenario = {
  name: 'open-log',
  summary: 'PX4 logs from boot: the open log grows under the agent, is torn by a reboot or closed by arm→disarm; every log arrives as it is on the card',
  topology: (rng) => ({
    px4: { logs: 2, minBytes: 40_000, maxBytes: 150_000, logging: { mode: 'boot', bytesPerSec: rng.int(20_000, 60_000) } },
    nas: {},
  }),
  async inject(ctx) {
    const px4 = ctx.world.controlUrl('px4');
    const faults = ctx.rng.int(1, 2);
    for (let k = 0; k < faults && Date.now() < ctx.faultDeadline; k++) {
      // The agent lists the open log a few times while it grows.
      await ctx.sleep(ctx.rng.between(2000, 5000));
      const kind = ctx.rng.pick(['reboot', 'arm-disarm'] as const);
      await ctx.fault(`px4:${kind} (open log)`, { phase: 'growing' });
      if (kind === 'reboot') {
        const downMs = ctx.rng.int(300, 2000);
        await control(px4, 'POST', '/reboot', { downMs });
        // Commands sent while it is down are lost, as on the real vehicle.
        await ctx.sleep(downMs + LOGGER_TICK_MS);
      } else await armFor(ctx, px4, ctx.rng.between(500, 2500));
    }
    // Closes the log still open (from boot, or one a reboot opened): PX4 ends it at the disarm.
    await armFor(ctx, px4, LOGGER_TICK_MS);
    await ctx.sleep(LOGGER_TICK_MS);
    const state = await control<{ openLog?: string }>(px4, 'GET', '/state');
    if (state.openLog !== undefined) throw new Error(`open-log: ${state.openLog} is still open after the disarm`);
    await ctx.retakeManifest('px4');
  },
};

async function armFor(ctx: ScenarioContext, px4: string, ms: number): Promise<void> {
  await control(px4, 'POST', '/arm');
  await ctx.sleep(ms);
  await control(px4, 'POST', '/disarm');
}
