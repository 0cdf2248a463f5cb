import type { BackoffPolicy } from '@filesync/core';

/**
 * Every default of the actor runtime in one place (after OTP's `default_child_spec` and
 * `default_flags`). Tests shorten the heartbeat; production keeps these.
 */
export const ACTOR_DEFAULTS = {
  /** How long `ask` waits for a reply before rejecting with `TransientError('timeout')`. */
  askTimeoutMs: 5_000,
  /** The worker posts a heartbeat this often. */
  heartbeatIntervalMs: 1_000,
  /** A worker silent this long has a blocked event loop and is terminated as crashed. */
  heartbeatTimeoutMs: 5_000,
  /**
   * A handler still busy with one message after this long is hung even though its loop runs
   * (a read that never returns): the worker is terminated, as OTP would kill a stuck process.
   */
  hangTimeoutMs: 60_000,
  /** Loading the module (under vitest tsx compiles it on first use) plus `init`. */
  startTimeoutMs: 15_000,
} as const;

export const SUPERVISOR_DEFAULTS = {
  strategy: 'one_for_one',
  /** At most `intensity` restarts within `periodMs`; one more and the supervisor gives up. */
  intensity: 3,
  periodMs: 5_000,
  backoff: { initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.5 } satisfies BackoffPolicy,
} as const;

export const CHILD_DEFAULTS = {
  restart: 'permanent',
  /** Worker children get this long to stop after the stop message before `terminate()`. */
  workerShutdownMs: 5_000,
  /** A nested supervisor waits for its own children, each bounded by its own shutdown. */
  supervisorShutdown: 'infinity',
} as const;
