import { type BackoffPolicy, type Clock, type ErrorData, backoffDelay, systemClock } from '@filesync/core';

export type HealthState = 'up' | 'degraded' | 'down';

export interface HealthSnapshot {
  readonly state: HealthState;
  /** The last fault, while not up. */
  readonly cause: ErrorData | undefined;
  readonly consecutiveFailures: number;
  /** Monotonic ms before which no new attempt should be made (0 when up). */
  readonly retryAtMs: number;
  readonly since: number;
  /** A source whose last listing had to leave something out: "N problems: <path>: <reason>; …". */
  readonly listingProblems?: string;
}

/** Failures in a row before a device counts as down rather than degraded. */
const DOWN_AFTER = 3;

/** Capped at 10 s: a returning device is noticed within that, while a dead one costs a try every 10 s. */
export const HEALTH_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 10_000, factor: 2, jitter: 0.3 };

/**
 * A device's connection health: up, degraded (a fault or two), down (with its cause), with a
 * backoff that grows while it stays down, so a dead target does not spin, and resets at the first
 * success, so a returning one resumes at once.
 */
export class Health {
  private snapshotValue: HealthSnapshot;
  /** A standing condition that is not a link fault (files stepping aside, waiting for space). */
  private condition: { cause: ErrorData; since: number } | undefined;

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly policy: BackoffPolicy = HEALTH_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {
    this.snapshotValue = { state: 'up', cause: undefined, consecutiveFailures: 0, retryAtMs: 0, since: clock.now() };
  }

  /**
   * What status shows: the link's own state, or `degraded` with the standing condition as its cause
   * while the link is up but files are failing or waiting (the link's faults come first).
   */
  get snapshot(): HealthSnapshot {
    const c = this.condition;
    if (c === undefined || this.snapshotValue.state !== 'up') return this.snapshotValue;
    return { ...this.snapshotValue, state: 'degraded', cause: c.cause, since: c.since };
  }

  /**
   * Sets (or, with undefined, ends) the standing condition. It does not back the device off: other
   * files go on. Setting the same condition again keeps its `since`.
   */
  setCondition(cause: ErrorData | undefined): void {
    if (cause === undefined) this.condition = undefined;
    else if (this.condition?.cause.message !== cause.message) this.condition = { cause, since: this.clock.now() };
  }

  /** True when an attempt may be made now. */
  ready(): boolean {
    return this.clock.monotonic() >= this.snapshotValue.retryAtMs;
  }

  /** Milliseconds until the next attempt may be made. */
  waitMs(): number {
    return Math.max(0, this.snapshotValue.retryAtMs - this.clock.monotonic());
  }

  succeeded(): void {
    if (this.snapshotValue.state === 'up' && this.snapshotValue.consecutiveFailures === 0) return;
    this.snapshotValue = { state: 'up', cause: undefined, consecutiveFailures: 0, retryAtMs: 0, since: this.clock.now() };
  }

  failed(cause: ErrorData, retryAfterMs?: number): void {
    const failures = this.snapshotValue.consecutiveFailures + 1;
    const state: HealthState = failures >= DOWN_AFTER ? 'down' : 'degraded';
    const delay = retryAfterMs ?? backoffDelay(this.policy, failures - 1, this.random);
    this.snapshotValue = {
      state,
      cause,
      consecutiveFailures: failures,
      retryAtMs: this.clock.monotonic() + delay,
      since: state === this.snapshotValue.state ? this.snapshotValue.since : this.clock.now(),
    };
  }
}
