/**
 * Burst or pipelined plain reads, chosen from what the link shows. PX4 paces a burst by its TX
 * budget per ~10 ms cycle (MAVFTP.md), so on a link with a short round trip (UDP to SITL, a
 * companion on Ethernet) several ReadFile requests in flight beat it several times over (SITL: burst
 * ≈ 0.7 MB/s, one ReadFile at a time ≈ 3.3 MB/s). Which one wins depends on the link and the
 * autopilot's load, so it is measured: the first chunk bursts, the second reads plain, then the faster
 * mode goes on and every 24 chunks one chunk re-measures the other (every 48, then 96, while the
 * other keeps losing clearly). On a telemetry radio the round trip alone is long and the burst
 * fills the wire: plain reads are not tried there.
 */
export type ReadMode = 'burst' | 'plain';

/** Round trips above this are radios: burst only (a 266-byte frame alone takes 23 ms at 115200 baud, 2.9 ms at 921600). */
export const PLAIN_TRIAL_MAX_RTT_MS = 20;
/** After this many chunks in the chosen mode, one chunk re-measures the other (links change). */
const REMEASURE_EVERY = 24;
/**
 * A re-measure that comes out below this fraction of the chosen mode's rate doubles the wait
 * before the next one, up to MAX_REMEASURE_EVERY: on a lossy UART each plain trial chunk runs
 * at ~0.65 of the burst and cost ~1 % of a long download every 24 chunks.
 */
const CLEAR_LOSS = 0.8;
const MAX_REMEASURE_EVERY = REMEASURE_EVERY * 4;
/** Upper bound of a chunk that measures a mode, so a losing trial costs little (a burst chunk is ~36–40 kB). */
export const TRIAL_CHUNK_BYTES = 40 * 1024;

/**
 * Weight of a chunk's bytes and time in the running totals of its mode. The rate is bytes over
 * time of the recent chunks, so a short chunk that met a stall (a lost request or frame) counts
 * by its size instead of as much as a full one.
 */
const RECENT_WEIGHT = 0.25;
/** A re-measure stands for many chunks of a link that may have changed: it weighs more. */
const TRIAL_WEIGHT = 0.5;

interface Totals {
  readonly bytes: number;
  readonly ms: number;
}

export class ReadModePicker {
  private readonly totals: Record<ReadMode, Totals | undefined> = { burst: undefined, plain: undefined };
  private chunksSinceTrial = 0;
  private remeasureEvery = REMEASURE_EVERY;
  /** The mode the last `next` handed out to re-measure, until its chunk is recorded. */
  private remeasuring: ReadMode | undefined;

  constructor(private readonly burstAllowed: boolean, private readonly plainAllowed = true) {}

  /** The mode for the next chunk, given the smoothed round trip of plain requests. */
  next(srttMs: number | undefined): ReadMode {
    if (!this.burstAllowed) return 'plain';
    if (!this.plainAllowed || srttMs === undefined || srttMs > PLAIN_TRIAL_MAX_RTT_MS) return 'burst';
    const { burst, plain } = this.rates;
    if (burst === undefined) return 'burst';
    if (plain === undefined) return 'plain';
    const best: ReadMode = plain > burst ? 'plain' : 'burst';
    if (++this.chunksSinceTrial > this.remeasureEvery) {
      this.chunksSinceTrial = 0;
      this.remeasuring = best === 'plain' ? 'burst' : 'plain';
      return this.remeasuring;
    }
    return best;
  }

  /** Whether `mode` is being measured rather than known faster: its chunk is kept small (TRIAL_CHUNK_BYTES). */
  isTrial(mode: ReadMode): boolean {
    const rates = this.rates;
    const other = rates[mode === 'plain' ? 'burst' : 'plain'];
    const own = rates[mode];
    return this.burstAllowed && this.plainAllowed && (own === undefined || (other !== undefined && own <= other));
  }

  /** Bytes one chunk in `mode` delivered and how long it took. */
  record(mode: ReadMode, bytes: number, ms: number): void {
    if (bytes <= 0) return;
    const prev = this.totals[mode];
    const remeasured = this.remeasuring === mode;
    this.remeasuring = undefined;
    const w = prev === undefined ? 1 : remeasured ? TRIAL_WEIGHT : RECENT_WEIGHT;
    this.totals[mode] = { bytes: (1 - w) * (prev?.bytes ?? 0) + w * bytes, ms: (1 - w) * (prev?.ms ?? 0) + w * Math.max(ms, 0.001) };
    if (remeasured) {
      const own = rateOf(this.totals[mode]) ?? 0;
      const chosen = rateOf(this.totals[mode === 'plain' ? 'burst' : 'plain']) ?? 0;
      this.remeasureEvery = own < CLEAR_LOSS * chosen ? Math.min(MAX_REMEASURE_EVERY, this.remeasureEvery * 2) : REMEASURE_EVERY;
    }
  }

  /** Bytes per ms of each mode's recent chunks; undefined until measured. */
  get rates(): Readonly<Record<ReadMode, number | undefined>> {
    return { burst: rateOf(this.totals.burst), plain: rateOf(this.totals.plain) };
  }
}

function rateOf(t: Totals | undefined): number | undefined {
  return t === undefined ? undefined : t.bytes / t.ms;
}
