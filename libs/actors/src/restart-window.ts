/**
 * Restart intensity as a sliding window (after OTP's `add_restart/3`): restart times on a
 * monotonic clock, those older than `periodMs` dropped. More than `intensity` restarts inside
 * the window means restarting does not help, and the supervisor gives up.
 */
export class RestartWindow {
  private times: number[] = [];

  constructor(
    readonly intensity: number,
    readonly periodMs: number,
  ) {}

  /** Records a restart at `now`; false when it exceeds the intensity. */
  add(now: number): boolean {
    this.times.push(now);
    this.prune(now);
    return this.times.length <= this.intensity;
  }

  /** Restarts inside the window ending at `now`. */
  count(now: number): number {
    this.prune(now);
    return this.times.length;
  }

  private prune(now: number): void {
    this.times = this.times.filter((t) => now - t <= this.periodMs);
  }
}
