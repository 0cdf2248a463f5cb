import { type Clock, systemClock } from '@filesync/core';
import { TransferRate } from '../metrics/transfer-rate';
import type { ThroughputPoint } from './overview';

/** A transfer's rate is taken over this much of its latest samples: long enough to smooth a chunked link. */
export const RATE_WINDOW_MS = 10_000;
/** Sparkline points kept (one per sample; at 1 Hz, the last minute). */
export const THROUGHPUT_POINTS = 60;
/**
 * Each sparkline point spans this long: a download records its offset once a second, in step with
 * the samples, so a point taken from one interval alone flips between 0 and twice the rate.
 */
export const THROUGHPUT_SPAN_MS = 3_000;

/**
 * Transfer rates for the status page, kept in memory only: a rate is a fact about the last seconds,
 * and the catalog (which must stay small and durable) has no use for it. Each sample gives the
 * durable offset of every transfer in flight and the catalog's moved-bytes counters; the rates come
 * from the same `TransferRate` that `/metrics` uses, with the page's shorter windows.
 */
export class ProgressSampler {
  private readonly transfers: TransferRate;
  private readonly moved: TransferRate;
  private rates = new Map<string, number>();
  private readonly points: ThroughputPoint[] = [];
  private started = false;

  constructor(
    private readonly clock: Clock = systemClock,
    windowMs = RATE_WINDOW_MS,
    private readonly maxPoints = THROUGHPUT_POINTS,
    spanMs = THROUGHPUT_SPAN_MS,
  ) {
    this.transfers = new TransferRate(windowMs, clock);
    this.moved = new TransferRate(spanMs, clock);
  }

  /** One sample: `offsets` by transfer key (others are forgotten: they ended), and the moved-bytes counters. */
  sample(offsets: ReadonlyMap<string, number>, moved: { downloaded: number; uploaded: number }): void {
    this.rates = this.transfers.sample(offsets);
    const first = !this.started;
    const rates = this.moved.sample(new Map([['down', moved.downloaded], ['up', moved.uploaded]]));
    this.started = true;
    // The first sample has nothing to compare with: it would draw a 0 that never happened.
    if (first) return;
    this.points.push({ at: this.clock.now(), down: rates.get('down') ?? 0, up: rates.get('up') ?? 0 });
    if (this.points.length > this.maxPoints) this.points.shift();
  }

  /** Bytes per second of one transfer over the window; 0 until it has moved (then no ETA is given). */
  rateOf(key: string): number | undefined {
    return this.rates.get(key);
  }

  throughput(): readonly ThroughputPoint[] {
    return [...this.points];
  }
}

/** Seconds left for `remaining` bytes at `rate`; undefined when nothing moves (no honest estimate). */
export function etaSeconds(remaining: number, rate: number | undefined): number | undefined {
  if (rate === undefined || rate <= 0) return undefined;
  return Math.ceil(Math.max(0, remaining) / rate);
}
