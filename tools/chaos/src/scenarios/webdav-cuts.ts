import { rcloneMissing } from '@filesync/device-webdav/testing';
import { KIB, MIB } from '../content';
import type { Scenario, ScenarioContext } from '../scenario';
import { type NasUpload, waitForAim, waitForNasCommit, waitForNasPart } from './aim';
import { WHOLE_DRONE, cutPower } from './power-loss';

/** Where a fault is aimed in the WebDAV upload path. */
type DavAim = 'mid-upload' | 'commit' | 'start-up' | 'removing';

/**
 * A mid-upload fault lands this far into a file's `.part` on the server, with this much still to come.
 * Where the server resumes, past two whole 1 MiB pieces: a restart from zero would then send more again
 * than the one-piece allowance, so the counters tell the two apart.
 */
const PAST_BYTES = { resumes: 2 * MIB, sentAgain: 512 * KIB } as const;
const LEFT_BYTES = 256 * KIB;
/** How long an aim at the server's files waits before it takes any upload the catalog shows. */
const AIM_MS = 15_000;
/** The most a fault aimed at a commit waits after seeing the `.part` whole. */
const COMMIT_DELAY_MS = 60;
/**
 * The most a mid-upload fault waits after its aim: about one 1 MiB piece at the link's 3 MiB/s, so that
 * on a resuming server it lands inside a piece's PATCH (which must then append nothing) as often as
 * between two (the aim sees the `.part` just after a piece was appended).
 */
const MID_PIECE_MS = 350;

/** Where an aim landed: for the fault log, and the fault's phase when the server's files showed it. */
interface Landing {
  readonly where: string;
  readonly phase?: string;
}

/**
 * Waits for the aimed moment: a `.part` on the server part-way (mid-upload) or whole with its final
 * name still free (commit: the read-back and the MOVE), each at a file not aimed at before; else what
 * the catalog shows.
 */
async function aimAt(ctx: ScenarioContext, aim: DavAim, aimed: Set<string>): Promise<Landing> {
  if (aim === 'start-up' || aim === 'removing') {
    await waitForAim(ctx, aim);
    return { where: aim };
  }
  const found: NasUpload | undefined =
    aim === 'mid-upload'
      ? await waitForNasPart(ctx, ctx.world.nasResumes ? PAST_BYTES.resumes : PAST_BYTES.sentAgain, LEFT_BYTES, AIM_MS, aimed)
      : await waitForNasCommit(ctx, AIM_MS, aimed);
  if (found === undefined) {
    await waitForAim(ctx, 'uploading');
    return { where: `${aim}: nothing found in ${AIM_MS / 1000} s, any upload` };
  }
  aimed.add(found.file);
  // Into the commit's read-back (a GET of the whole file) or its MOVE, not only at its edge: milliseconds on loopback.
  await ctx.sleep(ctx.rng.between(0, aim === 'commit' ? COMMIT_DELAY_MS : MID_PIECE_MS));
  return { where: `${aim}: ${found.file} at ${found.at} of ${found.size} bytes`, phase: aim === 'commit' ? 'uploading (.part whole)' : 'uploading (.part part-way)' };
}

/**
 * The agent uploads to a WebDAV NAS (`rclone serve webdav` behind a paced, counting link) and is
 * SIGKILLed — mid-upload, during a commit (the `.part` whole, its read-back and MOVE under way), at
 * start-up or while the cleaner removes a moved file; a third of the cuts take the whole drone (the flash
 * drive pulled and back as the agent boots) — and the server itself is killed and started again on its
 * port (an outage), mid-upload or mid-commit. rclone cannot resume (no Sabre PATCH, no Content-Range
 * PUT), so an interrupted upload is sent again from zero: the counters allow one whole copy per
 * interruption and report what was sent twice. In a seeded half of the rounds the link gives rclone
 * Sabre's partial updates: the target then goes in 1 MiB pieces and resumes, and anything more than one
 * piece sent again per interruption fails the round (`restartedFromZero`). The observer watches every
 * final name on the server: a partial file there fails the round (`corrupt`), as does a `.part` left behind.
 */
export const webdavCuts: Scenario = {
  name: 'webdav-cuts',
  summary: 'SIGKILL the agent mid-upload and mid-commit to a WebDAV NAS (rclone serve webdav), and kill and restart the server',
  unavailable: rcloneMissing,
  topology: (rng) => ({
    flash: { sessions: 3, images: 3, videos: 1, jpegKib: '40-300', videoMib: '3-4' },
    // Half the rounds as Nextcloud would be (Sabre's PATCH: uploads resume), half as rclone is (sent again).
    nas: { protocol: 'webdav', bandwidth: 3 * MIB, partialUpdates: rng.chance(0.5) },
  }),
  async inject(ctx) {
    const nas = ctx.world.davNas;
    if (!nas) throw new Error('webdav-cuts needs a WebDAV NAS');
    const kills = ctx.rng.int(2, 4);
    const outages = ctx.rng.int(1, 2);
    // The first fault is a kill mid-upload, the second an outage mid-upload (each one the round must have); then in seeded order.
    const rest = [...Array<'kill'>(kills - 1).fill('kill'), ...Array<'outage'>(outages - 1).fill('outage')];
    const plan = ['kill', 'outage', ...rest.map((f) => ({ f, k: ctx.rng.next() })).sort((a, b) => a.k - b.k).map((x) => x.f)] as const;
    const aimed = new Set<string>();
    for (const [k, fault] of plan.entries()) {
      // The first kill and the first outage are always injected (a loaded machine can spend the budget on the first restart).
      if (k >= 2 && Date.now() >= ctx.faultDeadline) break;
      const aim: DavAim =
        k < 2 ? 'mid-upload' : fault === 'outage' ? ctx.rng.pick(['mid-upload', 'commit'] as const) : ctx.rng.pick(['mid-upload', 'mid-upload', 'commit', 'commit', 'start-up', 'removing'] as const);
      const landing = await aimAt(ctx, aim, aimed);
      // The first two faults in every round, even if the agent was quicker than the aim.
      if (k >= 2 && ctx.delivered() === ctx.manifest.size) break;
      ctx.log(`${fault} aimed at ${landing.where}`);
      const phase = landing.phase === undefined ? {} : { phase: landing.phase };
      if (fault === 'kill') {
        const wholeDrone = ctx.rng.chance(WHOLE_DRONE);
        await ctx.fault(wholeDrone ? 'power-cut:drone' : 'power-cut:agent', phase);
        // The drone loses power: what its sockets had not yet delivered never arrives.
        nas.dropClients();
        await cutPower(ctx, wholeDrone);
      } else {
        await ctx.fault('webdav:outage', phase);
        await nas.outage(ctx.rng.int(500, 4000));
      }
    }
  },
};
