import { setTimeout as sleep } from 'node:timers/promises';
import type { Catalog } from '@filesync/store';
import type { ChangingWorldFigures } from './changing-world/checks';
import { readCounters } from './counters';
import { deliveredCount, deliveredIn, forgottenCount, latestRows } from './delivered';
import { type Excuses, type InvariantReport, RESEND_ALLOWANCE, checkInvariants } from './invariants';
import { type Manifest, type ManifestEntry, readSourceInto, takeManifest } from './manifest';
import { RoundObserver } from './observer';
import { type Rng, createRng } from './prng';
import type { Scenario, ScenarioContext } from './scenario';
import { CHECKPOINT_BYTES, ChaosWorld, type WorldOptions } from './world';

export interface RoundOptions extends WorldOptions {
  readonly seed: number;
  /** Budget for the fault phase. */
  readonly faultMs?: number;
  /** Budget for delivery after the last fault. */
  readonly deliverMs?: number;
}

export interface RoundResult extends InvariantReport {
  readonly scenario: string;
  readonly seed: number;
  readonly faults: number;
  readonly files: number;
  readonly timedOut: boolean;
  readonly agentStarts: number;
  /** How the agent stopped at the end (SIGTERM): `clean` is exit code 0; `running`: a campaign round that did not stop it. */
  readonly agentExit: string;
  /** Faults by what the agent was doing when they landed. */
  readonly phases: Record<string, number>;
  readonly seconds: number;
  /** changing-world's own figures (versions written, removed, lost, refused, …). */
  readonly changingWorld?: ChangingWorldFigures;
}

/** Worlds of rounds under way, so that an interrupted runner leaves no agent or simulator behind. */
export const live = new Set<ChaosWorld>();

export async function cleanupLiveWorlds(): Promise<void> {
  await Promise.all([...live].map((w) => w.cleanup()));
}

/** How long files must sit uploaded-but-staged, with nothing else left, before the round stops waiting. */
const STUCK_MS = 15_000;

/** Staged files whose every target row is uploaded or skipped: nothing will move them on. */
function stuckStaged(catalog: Catalog): number {
  return catalog.listFiles({ state: 'staged' }).filter((f) => {
    const rows = catalog.targetsOf(f.fileId);
    return rows.length > 0 && rows.every((r) => r.state === 'uploaded' || r.state === 'skipped');
  }).length;
}

const POLL_MS = 100;

/** The scenario's view of a world and the round's manifest, with the excuses it may grant. */
export function scenarioContext(
  world: ChaosWorld,
  rng: Rng,
  manifest: Map<string, ManifestEntry>,
  observer: RoundObserver,
  faultMs: number,
  log: (line: string) => void,
): { ctx: ScenarioContext; excuses: () => Excuses } {
  const excused = new Set<string>();
  let excuseAll = false;
  const ctx: ScenarioContext = {
    world,
    rng,
    manifest,
    observer,
    faultDeadline: Date.now() + faultMs,
    log,
    sleep,
    async waitFor(ready: (catalog: Catalog) => boolean, ms: number): Promise<boolean> {
      const until = Date.now() + ms;
      for (let i = 0; i < 100_000 && Date.now() < until; i++) {
        if (world.readCatalog(ready) === true) return true;
        await sleep(POLL_MS);
      }
      return false;
    },
    delivered: () => world.readCatalog((c) => deliveredCount(c, manifest)),
    fault: (kind, faultOptions) => {
      log(`fault ${kind}`);
      return observer.fault(kind, faultOptions?.armed === true, faultOptions?.phase);
    },
    excuse: (key) => excused.add(key),
    excuseAll: () => {
      excuseAll = true;
    },
    retakeManifest: async (configId) => {
      const source = world.sources.find((s) => s.configId === configId);
      if (!source) throw new Error(`no source ${configId} in this world`);
      log(`manifest: ${await readSourceInto(manifest, source)} file(s) of ${configId} expected as they are now`);
    },
  };
  return { ctx, excuses: () => ({ keys: excused, all: excuseAll }) };
}

/**
 * Waits (bounded) until the catalog has every manifest file at its end state, restarting nothing: an
 * agent that exits on its own ends the wait. Returns whether the bound ran out.
 */
export async function awaitDelivery(
  world: ChaosWorld,
  manifest: Manifest,
  ms: number,
  log: (line: string) => void,
  excuses?: () => Excuses,
): Promise<boolean> {
  const deliverBy = Date.now() + ms;
  let stuckSince: number | undefined;
  const done = (c: Catalog): number => {
    const rows = latestRows(c);
    // Only when the scenario wiped the catalog wholesale may a file be done without a row.
    const forgotten = excuses?.().all === true ? forgottenCount(rows, manifest, (e, t) => world.targetFile(e, t)) : 0;
    return deliveredIn(rows, manifest) + forgotten;
  };
  for (let i = 0; i < 100_000 && Date.now() < deliverBy; i++) {
    const progress = world.readCatalog((c) => ({ done: done(c), stuck: stuckStaged(c) }));
    if (progress?.done === manifest.size) return false;
    // Files uploaded everywhere but never delivered would wait forever: stop waiting, the checks report them.
    if (progress && progress.stuck > 0 && progress.done + progress.stuck === manifest.size) {
      stuckSince ??= Date.now();
      if (Date.now() - stuckSince > STUCK_MS) return false;
    } else stuckSince = undefined;
    if (!world.agent?.isRunning()) {
      log(`agent exited on its own: ${world.agent?.stderrTail() ?? ''}`);
      return true;
    }
    await sleep(250);
  }
  log(`not delivered in time; agent stderr: ${world.agent?.stderrTail() ?? ''}`);
  return true;
}

/** What a round reports, from its parts; a stop that was not clean brings the agent's stderr into the problems. */
export function roundResult(parts: {
  readonly scenario: string;
  readonly seed: number;
  readonly startedAt: number;
  readonly world: ChaosWorld;
  readonly manifest: Manifest;
  readonly observer: RoundObserver;
  readonly report: InvariantReport;
  readonly timedOut: boolean;
  readonly agentStarts: number;
  readonly agentExit: string;
}): RoundResult {
  const { report, observer, agentExit } = parts;
  if (agentExit !== 'clean' && agentExit !== 'running') report.problems.push(`agent's stop was ${agentExit}; its stderr ends: ${parts.world.agent?.stderrTail().slice(-1500) ?? ''}`);
  const phases: Record<string, number> = {};
  for (const f of observer.faults) phases[f.phase] = (phases[f.phase] ?? 0) + 1;
  return {
    scenario: parts.scenario,
    seed: parts.seed,
    faults: observer.faults.length,
    files: parts.manifest.size,
    ...report,
    timedOut: parts.timedOut,
    agentStarts: parts.agentStarts,
    agentExit,
    phases,
    seconds: Math.round((Date.now() - parts.startedAt) / 100) / 10,
  };
}

/** One seeded round: a fresh world, the scenario's faults, delivery, then the invariants on the real files. */
export async function runRound(scenario: Scenario, options: RoundOptions): Promise<RoundResult> {
  if ('round' in scenario) return scenario.round(options);
  const startedAt = Date.now();
  const rng = createRng(options.seed);
  const log = options.log ?? (() => undefined);
  const world = await ChaosWorld.create(scenario.topology(rng.fork('topology')), rng.fork('world'), options);
  live.add(world);
  // Stopped on every way out: its sampling timer would otherwise keep a runner whose scenario threw alive.
  let running: RoundObserver | undefined;
  try {
    const manifest = await takeManifest(world.sources);
    // One checkpoint of staged bytes plus one read chunk may go with a crash.
    const observer = new RoundObserver(world, manifest, CHECKPOINT_BYTES + RESEND_ALLOWANCE);
    const { ctx, excuses } = scenarioContext(world, rng.fork('faults'), manifest, observer, options.faultMs ?? 45_000, log);
    observer.start();
    running = observer;
    world.startAgent();
    await scenario.inject(ctx);
    if (!world.agent?.isRunning()) world.startAgent();
    const timedOut = await awaitDelivery(world, manifest, options.deliverMs ?? 120_000, log, excuses);
    await observer.stop();
    const agentExit = await world.stopAgent();
    const final = await readCounters(world, manifest);
    const report = await checkInvariants(world, manifest, observer, final, excuses());
    return roundResult({ scenario: scenario.name, seed: options.seed, startedAt, world, manifest, observer, report, timedOut, agentStarts: world.starts, agentExit });
  } finally {
    await running?.stop().catch(() => undefined);
    live.delete(world);
    await world.cleanup();
  }
}

/**
 * True when a round kept every promise the runner checks. `tolerateKnownIssues` lets the known agent
 * bugs (README "Findings") pass, so that CI stays green on them while any other failure still fails.
 */
export function roundPassed(r: RoundResult, tolerateKnownIssues = false): boolean {
  const known = r.knownIssues.sealedBeforeRecord + r.knownIssues.uploadedNotDelivered + r.knownIssues.phantomVersion;
  return (
    (tolerateKnownIssues || known === 0) &&
    r.lost === 0 && r.corrupt === 0 && r.restartedFromZero - (tolerateKnownIssues ? r.knownIssues.restartsFromThem : 0) === 0 &&
    r.removedEarly === 0 && r.duplicates === 0 &&
    r.leftoverParts === 0 && r.catalogMismatch === 0 && r.downloadResets === 0 && r.sourceChanged === 0 && !r.timedOut && (r.agentExit === 'clean' || r.agentExit === 'running')
  );
}
