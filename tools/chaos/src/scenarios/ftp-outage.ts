import { control } from '../control';
import { MIB } from '../content';
import { manifestKey, targetRel } from '../manifest';
import type { Scenario, ScenarioContext } from '../scenario';
import { type NasUpload, waitForAim, waitForNasFile, waitForNasPart } from './aim';

/** An outage is aimed at an upload this far in (the allowance a resume may resend is 1.0625 MiB)… */
const PAST_BYTES = 1.5 * MIB;
/** …with this much still to come, so it lands before the upload ends. */
const LEFT_BYTES = 384 * 1024;

/** Maps `.part` files the NAS deleted back to the manifest, so those restarts count as caused by the fault. */
function excuseDeleted(ctx: ScenarioContext, removed: readonly string[]): void {
  for (const entry of ctx.manifest.values()) {
    const onNas = `/${targetRel(entry)}.part`;
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
    const aimed = new Set<string>();
    for (let k = 0; k < outages && Date.now() < ctx.faultDeadline; k++) {
      let target: NasUpload | undefined;
      // The first is always a restart with the `.part` files intact: the one outage that must be resumed from.
      const kind = k === 0 ? 'restart' : ctx.rng.pick(['restart', 'restart-delete-parts', 'refuse', 'drop-data', 'camera-restart'] as const);
      if (kind === 'camera-restart') await waitForAim(ctx, 'downloading');
      // A refusal stops new connections only; a cut is armed (it lands at its byte count).
      else if (kind === 'refuse' || kind === 'drop-data') await waitForAim(ctx, 'uploading');
      // Past more than one allowance of an upload, so that going back to zero would resend more than a resume may.
      else {
        // Each at another file: a file's allowance grows with every fault that lands during its upload.
        target = await waitForNasPart(ctx, PAST_BYTES, LEFT_BYTES, 20_000, aimed);
        if (target) aimed.add(target.file);
        ctx.log(`ftp:${kind} aimed at ${target ? `${target.file} at ${target.at} of ${target.size} bytes` : 'nothing (no upload past 1.5 MiB in 20 s): any upload'}`);
        if (target === undefined) {
          await waitForAim(ctx, 'uploading');
          await ctx.sleep(ctx.rng.between(200, 1200));
        }
      }
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
          // Cut past one allowance of the data connection, for the same reason as the aim above.
          await control(nas, 'POST', '/faults', { dropDataAfterBytes: ctx.rng.int(PAST_BYTES, 2.5 * MIB), dropDataTimes: ctx.rng.int(1, 3) });
          await ctx.sleep(downMs);
          break;
        case 'camera-restart':
          await control(camera, 'POST', `/restart?downMs=${downMs}`);
          break;
      }
      // The next fault waits for the first's upload to land, so that only this outage interrupted it.
      if (k === 0 && target) await waitForNasFile(ctx, target, 20_000);
    }
    await control(nas, 'DELETE', '/faults');
    await control(camera, 'DELETE', '/faults');
  },
};
