import { type Clock, systemClock } from '@filesync/core';

/** How far back a rate looks: long enough to smooth one checkpoint's burst, short enough to show a stall. */
export const RATE_WINDOW_MS = 60_000;

/**
 * Bytes per second per device from successive readings of its transferred-bytes total (taken at
 * each scrape). The rate spans the last `windowMs`, or, when readings are further apart, the time
 * since the previous one. The totals come from the catalog and can step back (a download started
 * again after its staged copy was lost): such a step reads as 0, not as a negative rate.
 */
export class TransferRate {
  private readonly readings = new Map<string, { at: number; bytes: number }[]>();

  constructor(
    private readonly windowMs = RATE_WINDOW_MS,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Records this scrape's totals (device → bytes) and returns each device's rate; devices not given are forgotten. */
  sample(totals: ReadonlyMap<string, number>): Map<string, number> {
    const at = this.clock.monotonic();
    const rates = new Map<string, number>();
    for (const key of this.readings.keys()) if (!totals.has(key)) this.readings.delete(key);
    for (const [key, bytes] of totals) {
      const list = this.readings.get(key) ?? [];
      list.push({ at, bytes });
      // Keep the newest reading older than the window as the base; drop those before it.
      while (list.length > 2 && list[1]!.at <= at - this.windowMs) list.shift();
      this.readings.set(key, list);
      const base = list[0]!;
      const seconds = (at - base.at) / 1000;
      rates.set(key, seconds > 0 ? Math.max(0, bytes - base.bytes) / seconds : 0);
    }
    return rates;
  }
}
