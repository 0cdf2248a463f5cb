/**
 * Retransmission timeout from measured round trips (RFC 6298's smoothed RTT and variance), so a
 * 57600-baud radio with a full TX queue and a USB link each get a timeout that fits them.
 * Only replies to requests sent once are sampled (Karn), so a retransmit never skews it.
 */
export class RttEstimator {
  private srtt: number | undefined;
  private rttvar = 0;
  /** Karn's backoff: kept after a timeout until a clean sample, so a congested slow link is not flooded. */
  private backoffFactor = 1;

  constructor(private readonly initialMs: number, private readonly minMs = 25, private readonly maxMs = 8000) {}

  sample(ms: number): void {
    this.backoffFactor = 1;
    if (this.srtt === undefined) {
      this.srtt = ms;
      this.rttvar = ms / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
      this.srtt = 0.875 * this.srtt + 0.125 * ms;
    }
  }

  /** A send timed out: later sends wait longer until a reply to a first send is measured. */
  backoff(): void {
    this.backoffFactor = Math.min(32, this.backoffFactor * 1.5);
  }

  /** The current timeout for a first send. */
  get rtoMs(): number {
    const base = this.srtt === undefined ? this.initialMs : Math.max(this.minMs, this.srtt + 4 * this.rttvar);
    return Math.min(this.maxMs, base * this.backoffFactor);
  }

  get smoothedMs(): number | undefined {
    return this.srtt;
  }
}
