import type { Catalog } from '@filesync/store';
import type { Manifest } from './manifest';
import type { RoundObserver } from './observer';
import type { Rng } from './prng';
import type { RoundOptions, RoundResult } from './round';
import type { ChaosWorld, Topology } from './world';

/** What a scenario's fault schedule works with. */
export interface ScenarioContext {
  readonly world: ChaosWorld;
  readonly rng: Rng;
  readonly manifest: Manifest;
  readonly observer: RoundObserver;
  /** The fault phase must be over by then (wall clock, ms); the round then only waits for delivery. */
  readonly faultDeadline: number;
  log(line: string): void;
  sleep(ms: number): Promise<void>;
  /** Polls the catalog (only while the agent is up) until `ready` holds or `ms` pass. */
  waitFor(ready: (catalog: Catalog) => boolean, ms: number): Promise<boolean>;
  /** Files the catalog has at their end state (delivered / removed). */
  delivered(): number | undefined;
  /**
   * Counts one injected fault, recording the counters and what the agent was doing just before. `armed`:
   * the fault fires later on whichever transfer reaches it, so it may interrupt one not yet started.
   * `phase`: what the agent was doing, where the scenario knows it and the catalog cannot tell (a cut the
   * agent took itself, so it is down already).
   */
  fault(kind: string, options?: { armed?: boolean; phase?: string }): Promise<void>;
  /** This file's partial copy was destroyed by the fault: a restart from zero is expected, not a failure. */
  excuse(key: string): void;
  /** The fault destroyed durable state wholesale (the catalog): restarts are counted but not failed. */
  excuseAll(): void;
  /** The source's files are expected as they are now (a log written while the agent ran, then closed). */
  retakeManifest(configId: string): Promise<void>;
}

interface ScenarioBase {
  readonly name: string;
  readonly summary: string;
  /** Why the scenario cannot run on this machine (a server it needs is not installed), if it cannot: the spec skips it. */
  readonly unavailable?: () => string | undefined;
}

/** A scenario of faults in a world whose files are all there before the agent starts (the manifest). */
export interface FaultScenario extends ScenarioBase {
  readonly topology: (rng: Rng) => Topology;
  /**
   * Injects faults until done or `faultDeadline`; the agent was started just before. On return every
   * simulator fault must be cleared; the runner starts the agent if it is not running, then waits for delivery.
   */
  readonly inject: (ctx: ScenarioContext) => Promise<void>;
}

/**
 * A scenario whose world changes under the agent (changing-world): no manifest taken before the start can
 * say what must arrive, so it runs its round itself, and checks it with its own invariants.
 */
export interface OwnRoundScenario extends ScenarioBase {
  readonly round: (options: RoundOptions) => Promise<RoundResult>;
}

export type Scenario = FaultScenario | OwnRoundScenario;
