import type { ThroughputPoint } from './overview';

/** Rates are taken over this much of the latest samples: long enough to smooth a chunked link. */
export const RATE_WINDOW_MS = 10_000;
/** Sparkline points kept (one per sample; at 1 Hz, the last minute). */
export const THROUGHPUT_POINTS = 60;
/**
 * Each sparkline point averages the counters over this long: a download records its offset once a
 * second, in step with the samples, so a point taken from one interval alone flips between 0 and twice the rate.
 */
export const THROUGHPUT_SPAN_MS = 3_000;

interface Sample {
  readonly at: number;
  readonly bytes: number;
}

/**
 * Transfer rates from offsets sampled over time, kept in memory only: a rate is a fact about the
 * last seconds, and the catalog (which must stay small and durable) has no use for it. Each sample
 * gives the durable offset of every transfer in flight plus the catalog's moved-bytes counters;
 * `at` is a monotonic clock in ms, given by the caller so tests drive it.
 */
export class ProgressSampler {
  private readonly transfers = new Map<string, Sample[]>();
  private readonly points: ThroughputPoint[] = [];
  /** The moved-bytes counters of the samples within the span, oldest first. */
  private readonly moved: { at: number; down: number; up: number }[] = [];

  constructor(
    private readonly windowMs = RATE_WINDOW_MS,
    private readonly maxPoints = THROUGHPUT_POINTS,
    private readonly spanMs = THROUGHPUT_SPAN_MS,
  ) {}

  /** One sample: `offsets` by transfer key (others are forgotten: they ended), and the moved-bytes counters. */
  sample(at: number, wallAt: number, offsets: ReadonlyMap<string, number>, moved: { downloaded: number; uploaded: number }): void {
    for (const key of this.transfers.keys()) if (!offsets.has(key)) this.transfers.delete(key);
    for (const [key, bytes] of offsets) {
      const list = this.transfers.get(key) ?? [];
      // A transfer that went back (its copy was lost) starts its rate afresh.
      if (list.length > 0 && bytes < (list.at(-1)?.bytes ?? 0)) list.length = 0;
      list.push({ at, bytes });
      while (list.length > 2 && at - (list[0]?.at ?? at) > this.windowMs) list.shift();
      this.transfers.set(key, list);
    }
    const first = this.moved[0];
    if (first !== undefined && at > first.at) {
      const seconds = (at - first.at) / 1000;
      // The counters go back when a copy is reset; a negative throughput means nothing to a reader.
      this.points.push({
        at: wallAt,
        down: Math.max(0, moved.downloaded - first.down) / seconds,
        up: Math.max(0, moved.uploaded - first.up) / seconds,
      });
      if (this.points.length > this.maxPoints) this.points.shift();
    }
    this.moved.push({ at, down: moved.downloaded, up: moved.uploaded });
    while (this.moved.length > 1 && at - (this.moved[0]?.at ?? at) >= this.spanMs) this.moved.shift();
  }

  /** Bytes per second of one transfer over the window; undefined until it has two samples apart in time. */
  rateOf(key: string): number | undefined {
    const list = this.transfers.get(key);
    const first = list?.[0];
    const last = list?.at(-1);
    if (first === undefined || last === undefined || last.at <= first.at) return undefined;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
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
