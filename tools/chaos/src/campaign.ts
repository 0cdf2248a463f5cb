import { MIB } from './content';
import { readCounters } from './counters';
import { addFlight, toManifest } from './flight';
import { RESEND_ALLOWANCE, checkInvariants } from './invariants';
import { type Manifest, type ManifestEntry, takeManifest } from './manifest';
import { RoundObserver } from './observer';
import { createRng } from './prng';
import { type RoundResult, awaitDelivery, live, roundResult, scenarioContext } from './round';
import { AIMS, waitForAim } from './scenarios/aim';
import { WHOLE_DRONE, powerCut } from './scenarios/power-loss';
import { CHECKPOINT_BYTES, ChaosWorld, type Topology, type WorldOptions } from './world';

export interface CampaignOptions extends WorldOptions {
  /** Round `i` draws its flight and its cuts from seed + i. */
  readonly seed: number;
  readonly rounds: number;
  /** Rounds before this one were run already (a resumed journal). */
  readonly firstRound?: number;
  /** Start no new round after this instant (wall clock, ms). */
  readonly stopAt: number;
  /** Rounds one world (simulators, catalog, NAS) lives for before a fresh one: bounds disk use and the checks' cost. */
  readonly roundsPerWorld?: number;
  readonly deliverMs?: number;
  readonly onRound?: (result: RoundResult) => void;
}

/** The drone before its first flight of the campaign: a little of everything already on the devices. */
const CAMPAIGN_TOPOLOGY: Topology = {
  px4: { logs: 1, minBytes: 40_000, maxBytes: 100_000 },
  flash: { sessions: 1, images: 2, videos: 0, jpegKib: '40-300', videoMib: '1-2' },
  camera: { files: 2, maxBytes: 2 * MIB, bandwidth: 4 * MIB },
  flightReview: true,
  nas: { bandwidth: 4 * MIB },
};

const DEFAULT_ROUNDS_PER_WORLD = 50;
const ANY_WITHIN_MS = 1000;

/**
 * The long form of `power-loss`: one drone flying many flights. A world (simulators, the agent's data
 * directory, the NAS) lives for `roundsPerWorld` rounds; each round is one flight — new files on the
 * PX4, the flash drive and the camera while the agent runs — then one power cut (sometimes two) aimed
 * at that flight's work, the agent started again, delivery, and the invariants on that flight's files
 * (the NAS and the catalog are checked against every flight of the world so far). The agent is stopped
 * with SIGTERM at the end of each world and must exit cleanly. Rounds cost one or two agent starts
 * instead of a whole world each, which is what makes a thousand of them fit in an afternoon.
 */
export async function runCampaign(options: CampaignOptions): Promise<RoundResult[]> {
  const perWorld = options.roundsPerWorld ?? DEFAULT_ROUNDS_PER_WORLD;
  const log = options.log ?? (() => undefined);
  const results: RoundResult[] = [];
  let world: ChaosWorld | undefined;
  let earlier = new Map<string, ManifestEntry>();
  let inWorld = 0;
  // Stopped on every way out, or its sampling timer keeps the runner alive.
  let running: RoundObserver | undefined;
  try {
    for (let i = options.firstRound ?? 0; i < options.rounds && Date.now() < options.stopAt; i++) {
      const startedAt = Date.now();
      const rng = createRng(options.seed + i);
      let preflight: Manifest = new Map();
      const fresh = world === undefined;
      if (!world) {
        world = await ChaosWorld.create(CAMPAIGN_TOPOLOGY, rng.fork('world'), options);
        live.add(world);
        preflight = await takeManifest(world.sources);
        earlier = new Map();
        inWorld = 0;
        world.startAgent();
        await world.agent?.ready;
      }
      const startsBefore = fresh ? 0 : world.starts;
      const manifest = new Map([...preflight, ...toManifest(await addFlight(world, i, rng.fork('flight')))]);
      const observer = new RoundObserver(world, manifest, CHECKPOINT_BYTES + RESEND_ALLOWANCE);
      running = observer;
      const { ctx, excuses } = scenarioContext(world, rng.fork('faults'), manifest, observer, 45_000, log);
      observer.start();
      const cuts = ctx.rng.chance(0.25) ? 2 : 1;
      for (let k = 0; k < cuts; k++) {
        // A flight's work is over in seconds: a random instant is drawn from its first second, and the
        // first cut has no start-up to aim at (the agent is up).
        await waitForAim(ctx, ctx.rng.pick(k === 0 ? AIMS.filter((a) => a !== 'start-up') : AIMS), ANY_WITHIN_MS);
        if (k > 0 && ctx.delivered() === manifest.size) break;
        await powerCut(ctx, ctx.rng.chance(WHOLE_DRONE));
      }
      const timedOut = await awaitDelivery(world, manifest, options.deliverMs ?? 120_000, log);
      await observer.stop();
      const lastOfWorld = ++inWorld >= perWorld || i + 1 >= options.rounds || Date.now() >= options.stopAt || timedOut;
      const agentExit = lastOfWorld ? await world.stopAgent() : world.agent?.isRunning() ? 'running' : 'failed';
      const final = await readCounters(world, manifest);
      const report = await checkInvariants(world, manifest, observer, final, excuses(), earlier);
      const result = roundResult({ scenario: 'power-loss', seed: options.seed + i, startedAt, world, manifest, observer, report, timedOut, agentStarts: world.starts - startsBefore, agentExit });
      results.push(result);
      options.onRound?.(result);
      earlier = new Map([...earlier, ...manifest]);
      if (lastOfWorld) {
        live.delete(world);
        await world.cleanup();
        world = undefined;
      }
    }
  } finally {
    await running?.stop().catch(() => undefined);
    if (world) {
      live.delete(world);
      await world.cleanup();
    }
  }
  return results;
}
