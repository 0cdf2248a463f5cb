import { untilServing } from '../agent-process';
import { MIB } from '../content';
import { targetRel } from '../manifest';
import { S3_PARTS_IN_FLIGHT, S3_PART_BYTES, type S3SimState, s3State } from '../s3-bucket';
import type { Scenario, ScenarioContext } from '../scenario';
import { S3_TARGET } from '../world';

/** Kills a round always makes (issue 21: ≥ 20 in the short round), even past the fault budget. */
export const S3_MIN_KILLS = 20;
/**
 * A kill's aim waits this long for its moment before it cuts anyway: on a loaded machine a restarted
 * agent takes 5–15 s to send its first part, and a kill before it would cut no upload.
 */
const AIM_MS = 60_000;
const POLL_MS = 20;
/** How often (in polls of the store) an aim looks whether every file is delivered: then none will come. */
const DONE_EVERY = 25;

/**
 * Where a kill lands: in the body of an UploadPart (at a drawn fraction of it), once every part of an
 * upload is stored (between the last part's answer and CompleteMultipartUpload, its HEAD and its record),
 * at any instant of an upload, or during start-up (the stale-upload sweep, the first ListParts).
 */
type Aim = 'mid-part' | 'all-parts-in' | 'any' | 'start-up';

/**
 * Polls the store's control API until `ready` holds; false when `ms` pass, the agent is gone, or every
 * file is delivered (no upload is left to cut).
 */
async function untilStore(ctx: ScenarioContext, ready: (state: S3SimState) => boolean, ms: number): Promise<boolean> {
  const url = ctx.world.controlUrl(S3_TARGET);
  const until = Date.now() + ms;
  for (let i = 0; i < 100_000 && Date.now() < until && ctx.world.agent?.isRunning(); i++) {
    const state = await s3State(url).catch(() => undefined);
    if (state && ready(state)) return true;
    if (i % DONE_EVERY === DONE_EVERY - 1 && ctx.delivered() === ctx.manifest.size) return false;
    await ctx.sleep(POLL_MS);
  }
  return false;
}

/**
 * Waits for the `nth` part this agent sends (counted from its start at `since`, so that each life gets
 * some parts through before it dies) to be `fraction` received.
 */
function untilMidPart(ctx: ScenarioContext, since: number, nth: number, fraction: number): Promise<boolean> {
  const seen = new Set<string>();
  return untilStore(
    ctx,
    (state) =>
      // A part the previous agent was sending when it died stays listed until the store reads its socket's end.
      state.partsReceiving
        .filter((p) => p.startedAt >= since)
        .some((p) => {
          seen.add(`${p.uploadId}/${p.partNumber}`);
          return seen.size >= nth && p.received >= fraction * (p.declared ?? S3_PART_BYTES);
        }),
    AIM_MS,
  );
}

/** Waits until the store holds every byte of some upload still open: its completion is next. */
function untilAllPartsIn(ctx: ScenarioContext): Promise<boolean> {
  const sizes = new Map([...ctx.manifest.values()].map((e) => [targetRel(e), e.size]));
  return untilStore(ctx, (state) => state.uploadsInProgress.some((u) => u.bytes === sizes.get(u.key)), AIM_MS);
}

/** Waits for the moment `aim` names; `since`: when the agent now running was started. */
async function aimAt(ctx: ScenarioContext, aim: Aim, since: number): Promise<void> {
  const agent = ctx.world.agent;
  if (aim === 'start-up') return ctx.sleep(ctx.rng.between(0, 1500));
  // The other aims watch the store, which sees an upload before the agent says it serves (its last child
  // starts seconds after the uploader on a loaded machine): only `any` waits for that.
  if (aim === 'any') {
    if (agent) await untilServing(agent, 60_000);
    await ctx.waitFor((c) => (c.counts().byTarget[S3_TARGET]?.uploading ?? 0) > 0, AIM_MS);
    return ctx.sleep(ctx.rng.between(0, 1500));
  }
  if (aim === 'all-parts-in') {
    await untilAllPartsIn(ctx);
    return ctx.sleep(ctx.rng.between(0, 30));
  }
  // The agent starts S3_PARTS_IN_FLIGHT parts at once and the next one as one is recorded: the part aimed
  // at, S3_PARTS_IN_FLIGHT + j, begins once j parts of this life are recorded. A life must record clearly
  // more than the allowance of S3_PARTS_IN_FLIGHT parts (j: 2–4, mean 2.8), or a build that restarts from
  // part 1 would cost about the allowance per kill and go unseen (j: 1–3 caught it by 1 %, seed 1).
  await untilMidPart(ctx, since, S3_PARTS_IN_FLIGHT + ctx.rng.pick([2, 2, 3, 3, 4]), ctx.rng.between(0.02, 0.98));
}

/**
 * Issue 21: the agent SIGKILLed again and again while it uploads large files to an S3 store as multipart
 * uploads — mostly in the middle of a part's body, sometimes once all of an upload's parts are in (before
 * its completion is recorded), at any instant of an upload, or while it starts up — and started again each
 * time. Each upload must go on from its recorded parts (at most the parts in flight sent again per kill:
 * the store's byte counter against S3_PARTS_IN_FLIGHT parts), end byte-identical, and leave no multipart
 * upload open.
 */
export const s3MultipartKills: Scenario = {
  name: 's3-multipart-kills',
  summary: `SIGKILL the agent ≥ ${S3_MIN_KILLS} times during multipart uploads to an S3 store (mid-part, all parts in, any instant, start-up)`,
  topology: () => ({
    // 24 files of 3–4 parts (~ 370 MiB). With one part at a time, 20 kills saw 3 of 10 and 6 of 8 files
    // through on 2 loaded cores (a life recorded 0–2 parts); with 2 in flight a life records 2–4 (the
    // aim above), so there are more files, and every kill still lands in an upload with room to spare.
    local: { pollIntervalSec: 1, files: { count: 24, minBytes: 11 * MIB, maxBytes: 20 * MIB } },
    s3: { bandwidth: 24 * MIB },
  }),
  async inject(ctx) {
    const kills = ctx.rng.int(S3_MIN_KILLS + 2, S3_MIN_KILLS + 6);
    const startedAt = Date.now();
    // The runner started the first agent just before.
    let since = startedAt - 1000;
    for (let k = 0; k < kills && (k < S3_MIN_KILLS || Date.now() < ctx.faultDeadline); k++) {
      const aim = ctx.rng.chance(0.7) ? 'mid-part' : ctx.rng.pick(['all-parts-in', 'any', 'start-up'] as const);
      await aimAt(ctx, aim, since);
      const delivered = ctx.delivered();
      if (delivered === ctx.manifest.size) {
        ctx.log(`every file delivered after ${k} kill(s)`);
        break;
      }
      ctx.log(`kill ${k + 1} (${aim}) at +${((Date.now() - startedAt) / 1000).toFixed(1)} s; ${delivered ?? '?'} of ${ctx.manifest.size} files delivered`);
      await ctx.fault(`power-cut:${aim}`);
      await ctx.world.killAgent();
      await ctx.sleep(ctx.rng.between(0, 300));
      since = Date.now();
      ctx.world.startAgent();
    }
  },
};
