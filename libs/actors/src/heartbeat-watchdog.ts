import type { Clock } from '@filesync/core';

/**
 * Fires `onSilent` once when no `beat()` came for `timeoutMs` on the injected clock. One timer,
 * re-armed only when it fires, so a beat costs a clock read and not a timer.
 */
export class HeartbeatWatchdog {
  private last: number;
  private timer: unknown;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onSilent: (silentMs: number) => void,
  ) {
    this.last = clock.monotonic();
    this.arm(timeoutMs);
  }

  beat(): void {
    this.last = this.clock.monotonic();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(() => this.check(), ms);
  }

  private check(confirming = false): void {
    if (this.stopped) return;
    const silent = this.clock.monotonic() - this.last;
    if (silent < this.timeoutMs) {
      this.arm(this.timeoutMs - silent);
    } else if (!confirming) {
      // If this (parent) thread was the one blocked, the beats are waiting in its queue: look
      // once more after they had a turn, so a slow parent does not kill healthy children.
      this.timer = this.clock.setTimeout(() => this.check(true), 0);
    } else {
      this.stopped = true;
      this.onSilent(silent);
    }
  }
}
