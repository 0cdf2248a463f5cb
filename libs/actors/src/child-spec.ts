import { type BackoffPolicy, type Clock, PermanentError } from '@filesync/core';
import { CHILD_DEFAULTS, SUPERVISOR_DEFAULTS } from './defaults';
import type { ShutdownTimeout, Supervised } from './supervised';

export const RESTART_TYPES = ['permanent', 'transient', 'temporary'] as const;
/** `permanent`: always restarted; `transient`: only after a crash; `temporary`: never. */
export type RestartType = (typeof RESTART_TYPES)[number];

export const STRATEGIES = ['one_for_one', 'one_for_all', 'rest_for_one'] as const;
/**
 * Which children a crash restarts: only the crashed one; all of them; or the crashed one and
 * those started after it (which depend on it, e.g. link → finder → downloader).
 */
export type Strategy = (typeof STRATEGIES)[number];

/** A worker actor, started from its module. Plain data. */
export interface ActorStart {
  /** The actor module (`export default defineActor(...)`): a file URL or an absolute path. */
  readonly module: URL | string;
  /** Structured-cloned into the actor's `init`. */
  readonly args?: unknown;
  /**
   * Channels to hand out: `{ name: siblingId }` gives this actor `ctx.peer(name)`, a direct line
   * to the earlier sibling `siblingId`. Re-handed whenever either side restarts.
   */
  readonly peers?: Readonly<Record<string, string>>;
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  readonly hangTimeoutMs?: number;
  readonly askTimeoutMs?: number;
  readonly startTimeoutMs?: number;
  /**
   * The thread's V8 heap limits (`new Worker(…, { resourceLimits })`): an actor that outgrows them
   * dies with ERR_WORKER_OUT_OF_MEMORY and is restarted like any crash, instead of growing the agent.
   */
  readonly resourceLimits?: ActorResourceLimits;
}

/** The sizes Node's `ResourceLimits` takes, in MB; each optional. */
export interface ActorResourceLimits {
  readonly maxOldGenerationSizeMb?: number;
  readonly maxYoungGenerationSizeMb?: number;
  readonly codeRangeSizeMb?: number;
  readonly stackSizeMb?: number;
}

/** What a custom `start` function gets (OTP's `{M, F, A}` as a closure). */
export interface StartContext {
  readonly id: string;
  /** Path of the supervisor that starts it, root first. */
  readonly path: readonly string[];
  readonly clock: Clock;
  /** The running instance of an earlier sibling, if it is up. */
  sibling(id: string): Supervised | undefined;
}

interface ChildSpecCommon {
  /** Unique among siblings; by convention `role:instance` (`source:px4`). */
  readonly id: string;
  readonly restart?: RestartType;
  /** Milliseconds between the stop message and `terminate()`, or `infinity`. */
  readonly shutdown?: ShutdownTimeout;
}

export interface ActorChildSpec extends ChildSpecCommon {
  readonly actor: ActorStart;
}

export interface SupervisorChildSpec extends ChildSpecCommon {
  readonly supervisor: SupervisorSpec;
}

export interface CustomChildSpec extends ChildSpecCommon {
  readonly start: (ctx: StartContext) => Promise<Supervised>;
}

/** Exactly one of `actor`, `supervisor` or `start` says how to start the child. */
export type ChildSpec = ActorChildSpec | SupervisorChildSpec | CustomChildSpec;

/** A supervisor as data (OTP's `init/1` result): flags plus children in start order. */
export interface SupervisorSpec {
  readonly id: string;
  readonly strategy?: Strategy;
  /** At most `intensity` restarts within `periodMs`; one more and it gives up (escalates). */
  readonly intensity?: number;
  readonly periodMs?: number;
  /** Delay before each restart, growing with the restarts inside the window. */
  readonly backoff?: BackoffPolicy;
  readonly children: readonly ChildSpec[];
}

export interface NormalizedChild {
  readonly id: string;
  readonly restart: RestartType;
  readonly shutdown: ShutdownTimeout;
  readonly how:
    | { readonly actor: ActorStart }
    | { readonly supervisor: NormalizedSupervisor }
    | { readonly start: CustomChildSpec['start'] };
}

export interface NormalizedSupervisor {
  readonly id: string;
  readonly strategy: Strategy;
  readonly intensity: number;
  readonly periodMs: number;
  readonly backoff: BackoffPolicy;
  readonly children: readonly NormalizedChild[];
}

const SUPERVISOR_KEYS = ['id', 'strategy', 'intensity', 'periodMs', 'backoff', 'children'];
const CHILD_KEYS = ['id', 'restart', 'shutdown', 'actor', 'supervisor', 'start'];
const TIMING_KEYS = ['heartbeatIntervalMs', 'heartbeatTimeoutMs', 'hangTimeoutMs', 'askTimeoutMs', 'startTimeoutMs'];
const LIMIT_KEYS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'];
const ACTOR_KEYS = ['module', 'args', 'peers', 'resourceLimits', ...TIMING_KEYS];
const BACKOFF_KEYS = ['initialMs', 'maxMs', 'factor', 'jitter'];

function bad(where: string, what: string, key: string): PermanentError {
  return new PermanentError('bad-request', `${where}: ${what}`, { detail: { where, key } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(where: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw bad(where, `unknown key "${key}" (allowed: ${allowed.join(', ')})`, key);
  }
}

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function checkPositiveMs(where: string, value: Record<string, unknown>, key: string): void {
  const v = value[key];
  if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
    throw bad(where, `"${key}" must be a positive number of milliseconds, got ${JSON.stringify(v)}`, key);
  }
}

function normalizeBackoff(where: string, value: unknown): BackoffPolicy {
  if (value === undefined) return SUPERVISOR_DEFAULTS.backoff;
  if (!isRecord(value)) throw bad(where, '"backoff" must be an object', 'backoff');
  checkKeys(`${where} backoff`, value, BACKOFF_KEYS);
  const merged = { ...SUPERVISOR_DEFAULTS.backoff, ...value } as Record<string, unknown>;
  for (const key of BACKOFF_KEYS) {
    const v = merged[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`${where} backoff`, `"${key}" must be a number ≥ 0`, key);
  }
  return merged as unknown as BackoffPolicy;
}

function normalizeActor(where: string, value: unknown, earlierActors: ReadonlySet<string>): ActorStart {
  if (!isRecord(value)) throw bad(where, '"actor" must be an object', 'actor');
  checkKeys(`${where} actor`, value, ACTOR_KEYS);
  const { module, peers } = value;
  if (!(module instanceof URL) && !(typeof module === 'string' && module.length > 0)) {
    throw bad(`${where} actor`, '"module" must be a file URL or an absolute path', 'module');
  }
  for (const key of TIMING_KEYS) checkPositiveMs(`${where} actor`, value, key);
  const { resourceLimits } = value;
  if (resourceLimits !== undefined) {
    if (!isRecord(resourceLimits)) throw bad(`${where} actor`, '"resourceLimits" must be an object of sizes in MB', 'resourceLimits');
    checkKeys(`${where} actor resourceLimits`, resourceLimits, LIMIT_KEYS);
    for (const [key, mb] of Object.entries(resourceLimits)) {
      if (!(typeof mb === 'number' && Number.isFinite(mb) && mb > 0)) {
        throw bad(`${where} actor resourceLimits`, `"${key}" must be a positive number of MB, got ${JSON.stringify(mb)}`, key);
      }
    }
  }
  if (peers !== undefined) {
    if (!isRecord(peers)) throw bad(`${where} actor`, '"peers" must map channel names to sibling ids', 'peers');
    for (const [name, target] of Object.entries(peers)) {
      if (typeof target !== 'string' || !earlierActors.has(target)) {
        throw bad(`${where} actor`, `peer "${name}" must name an actor sibling started before it, got ${JSON.stringify(target)}`, 'peers');
      }
    }
  }
  return value as unknown as ActorStart;
}

function normalizeChild(where: string, value: unknown, earlierActors: ReadonlySet<string>): NormalizedChild {
  if (!isRecord(value)) throw bad(where, 'a child spec must be an object', 'children');
  const { id, restart, shutdown } = value;
  if (typeof id !== 'string' || id.length === 0) throw bad(where, 'a child spec needs a non-empty string "id"', 'id');
  const at = `${where} child "${id}"`;
  checkKeys(at, value, CHILD_KEYS);
  if (restart !== undefined && !(RESTART_TYPES as readonly unknown[]).includes(restart)) {
    throw bad(at, `"restart" must be one of ${RESTART_TYPES.join(', ')}, got ${JSON.stringify(restart)}`, 'restart');
  }
  if (shutdown !== undefined && shutdown !== 'infinity' && !isNonNegativeInt(shutdown)) {
    throw bad(at, `"shutdown" must be milliseconds ≥ 0 or "infinity", got ${JSON.stringify(shutdown)}`, 'shutdown');
  }
  const ways = ['actor', 'supervisor', 'start'].filter((k) => value[k] !== undefined);
  if (ways.length !== 1) {
    throw bad(at, `needs exactly one of "actor", "supervisor", "start" (bad combination: ${ways.join(', ') || 'none'})`, ways[1] ?? 'start');
  }
  let how: NormalizedChild['how'];
  if (value['actor'] !== undefined) how = { actor: normalizeActor(at, value['actor'], earlierActors) };
  else if (value['supervisor'] !== undefined) how = { supervisor: normalizeSupervisor(value['supervisor'], `${at} >`) };
  else if (typeof value['start'] === 'function') how = { start: value['start'] as CustomChildSpec['start'] };
  else throw bad(at, '"start" must be a function', 'start');
  const isSupervisor = 'supervisor' in how;
  return {
    id,
    restart: (restart as RestartType | undefined) ?? CHILD_DEFAULTS.restart,
    shutdown: (shutdown as ShutdownTimeout | undefined) ?? (isSupervisor ? CHILD_DEFAULTS.supervisorShutdown : CHILD_DEFAULTS.workerShutdownMs),
    how,
  };
}

/**
 * Checks a whole tree, nested supervisors included, before anything starts (OTP checks child
 * specs at start too). Throws `PermanentError('bad-request')` naming where and the bad key.
 */
export function normalizeSupervisor(value: unknown, prefix = 'supervisor'): NormalizedSupervisor {
  if (!isRecord(value)) throw bad(prefix, 'a supervisor spec must be an object', 'supervisor');
  const rawId = value['id'];
  if (typeof rawId !== 'string' || rawId.length === 0) throw bad(prefix, '"id" must be a non-empty string', 'id');
  const where = `${prefix} "${rawId}"`;
  checkKeys(where, value, SUPERVISOR_KEYS);
  const { strategy, intensity, children } = value;
  if (strategy !== undefined && !(STRATEGIES as readonly unknown[]).includes(strategy)) {
    throw bad(where, `"strategy" must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`, 'strategy');
  }
  if (intensity !== undefined && !isNonNegativeInt(intensity)) throw bad(where, '"intensity" must be an integer ≥ 0', 'intensity');
  checkPositiveMs(where, value, 'periodMs');
  if (!Array.isArray(children)) throw bad(where, '"children" must be an array', 'children');
  const seen = new Set<string>();
  const earlierActors = new Set<string>();
  const normalized = children.map((child: unknown) => {
    const c = normalizeChild(where, child, earlierActors);
    if (seen.has(c.id)) throw bad(where, `duplicate child id "${c.id}"`, 'id');
    seen.add(c.id);
    if ('actor' in c.how) earlierActors.add(c.id);
    return c;
  });
  return {
    id: rawId,
    strategy: (strategy as Strategy | undefined) ?? SUPERVISOR_DEFAULTS.strategy,
    intensity: (intensity as number | undefined) ?? SUPERVISOR_DEFAULTS.intensity,
    periodMs: (value['periodMs'] as number | undefined) ?? SUPERVISOR_DEFAULTS.periodMs,
    backoff: normalizeBackoff(where, value['backoff']),
    children: normalized,
  };
}
