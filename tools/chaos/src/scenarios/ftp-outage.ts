import { targetPathOf } from '@filesync/pipeline';
import { control } from '../control';
import { MIB } from '../content';
import { manifestKey } from '../manifest';
import type { Scenario, ScenarioContext } from '../scenario';
import { waitForAim } from './aim';

/** Maps `.part` files the NAS deleted back to the manifest, so those restarts count as caused by the fault. */
function excuseDeleted(ctx: ScenarioContext, removed: readonly string[]): void {
  for (const entry of ctx.manifest.values()) {
    const onNas = `/${targetPathOf('{source}/{path}', entry.source.catalogId, entry.path)}.part`;
    if (removed.some((r) => r === onNas || r.endsWith(onNas))) ctx.excuse(manifestKey(entry.source.catalogId, entry.path));
  }
}

/**
 * The FTP NAS goes away mid-upload: restarted with its port closed for a while, refusing connections,
 * or cutting a data connection mid-file; it comes back with its `.part` files intact, or (a cleanup job
 * on the server) deleted — then, and only then, an upload may start over. The FTP camera (a source)
 * has outages too.
 */
export const ftpOutage: Scenario = {
  name: 'ftp-outage',
  summary: 'the FTP target (and the FTP camera) stop mid-transfer, refuse connections, drop data; come back with .part files intact or deleted',
  topology: () => ({
    camera: { files: 20, maxBytes: 6 * MIB, bandwidth: 6 * MIB },
    nas: { bandwidth: 3 * MIB },
  }),
  async inject(ctx) {
    const nas = ctx.world.controlUrl('nas');
    const camera = ctx.world.controlUrl('camera');
    const outages = ctx.rng.int(3, 5);
    for (let k = 0; k < outages && Date.now() < ctx.faultDeadline; k++) {
      const kind = ctx.rng.pick(['restart', 'restart-delete-parts', 'refuse', 'drop-data', 'camera-restart'] as const);
      await waitForAim(ctx, kind === 'camera-restart' ? 'downloading' : 'uploading');
      // Let the transfer get past one checkpoint, so that going back to zero would cost more than a resume may.
      await ctx.sleep(ctx.rng.between(200, 1200));
      // At least one fault per round, even if the agent was quicker than the aim.
      if (k > 0 && ctx.delivered() === ctx.manifest.size) break;
      await ctx.fault(`ftp:${kind}`, { armed: kind === 'drop-data' });
      const downMs = ctx.rng.int(500, 5000);
      switch (kind) {
        // A restart answers once the server is back up.
        case 'restart':
          await control(nas, 'POST', `/restart?downMs=${downMs}`);
          break;
        case 'restart-delete-parts': {
          const back = control(nas, 'POST', `/restart?downMs=${downMs}`);
          await ctx.sleep(100);
          const reply = await control<{ removed: string[] }>(nas, 'POST', '/delete-parts');
          excuseDeleted(ctx, reply.removed);
          await back;
          break;
        }
        case 'refuse':
          await control(nas, 'POST', '/faults', { refuseForMs: downMs });
          await ctx.sleep(downMs);
          break;
        case 'drop-data':
          await control(nas, 'POST', '/faults', { dropDataAfterBytes: ctx.rng.int(1, 2 * MIB), dropDataTimes: ctx.rng.int(1, 3) });
          await ctx.sleep(downMs);
          break;
        case 'camera-restart':
          await control(camera, 'POST', `/restart?downMs=${downMs}`);
          break;
      }
    }
    await control(nas, 'DELETE', '/faults');
    await control(camera, 'DELETE', '/faults');
  },
};
