import { control } from '../control';
import type { Scenario } from '../scenario';
import { waitForAim } from './aim';

/**
 * The simulated autopilot reboots mid-download, keeps a stale session (a crashed client's, or the
 * agent's own after a SIGKILL), or is busy with another ground station holding its one session.
 */
export const px4Reboot: Scenario = {
  name: 'px4-reboot',
  summary: 'the PX4 reboots mid-download, keeps a stale session, answers busy (another ground station holds the session)',
  topology: () => ({
    px4: { logs: 3, minBytes: 150_000, maxBytes: 500_000 },
    nas: {},
  }),
  async inject(ctx) {
    const px4 = ctx.world.controlUrl('px4');
    const faults = ctx.rng.int(3, 5);
    for (let k = 0; k < faults && Date.now() < ctx.faultDeadline; k++) {
      // The first leaves PX4's one session open while the agent is down: the restarted agent must reset it.
      const kind = k === 0 ? 'agent-killed-session-left' : ctx.rng.pick(['reboot', 'reboot', 'stale-session', 'busy', 'agent-killed-session-left'] as const);
      await waitForAim(ctx, 'downloading');
      // At least one fault per round, even if the agent was quicker than the aim.
      if (k > 0 && ctx.delivered() === ctx.manifest.size) break;
      await ctx.fault(`px4:${kind}`);
      switch (kind) {
        case 'reboot':
          await control(px4, 'POST', '/reboot', { downMs: ctx.rng.int(300, 3000) });
          break;
        case 'stale-session':
          await control(px4, 'POST', '/stale-session');
          break;
        case 'busy': {
          await control(px4, 'POST', '/faults', { secondGcs: ctx.rng.pick(['hold', 'interleave'] as const) });
          await ctx.sleep(ctx.rng.between(1000, 4000));
          await control(px4, 'POST', '/faults', { secondGcs: 'off' });
          break;
        }
        case 'agent-killed-session-left':
          // The agent dies mid-read; PX4 keeps its session open until it times out. Killed between two
          // files it had none open: a crashed client's is left instead, so a session is held either way.
          await ctx.world.killAgent();
          await control(px4, 'POST', '/stale-session');
          await ctx.sleep(ctx.rng.between(0, 1000));
          ctx.world.startAgent();
          break;
      }
    }
    await control(px4, 'POST', '/faults', { secondGcs: 'off' });
  },
};
