import type { LinkFaults } from './faults';

export interface LinkCounters {
  framesIn: number;
  framesOut: number;
  bytesOut: number;
  droppedIn: number;
  droppedOut: number;
}

/** How long a frame held back for reordering waits for a successor before it goes anyway. */
const REORDER_HOLD_MS = 30;
const DRAIN_TICK_MS = 3;

/**
 * One direction-aware faulty pipe between PX4's MAVLink instance and a transport. Outgoing frames
 * wait in a TX queue drained at the baud cap; the queue's free space is what PX4's FTP burst
 * checks before sending (so a slow link slows the burst as on a real UART). Loss, duplication,
 * reordering and latency are applied per frame in each direction.
 */
export class FaultyLink {
  readonly counters: LinkCounters = { framesIn: 0, framesOut: 0, bytesOut: 0, droppedIn: 0, droppedOut: 0 };
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private credit = 0;
  private lastDrain = performance.now();
  private drainTimer: ReturnType<typeof setInterval> | undefined;
  private readonly held: { out?: { run: () => void; timer: ReturnType<typeof setTimeout> }; in?: { run: () => void; timer: ReturnType<typeof setTimeout> } } = {};
  private closed = false;

  constructor(
    private readonly writeOut: (frame: Buffer) => void,
    private readonly faults: () => LinkFaults,
    private readonly random: () => number = Math.random,
  ) {}

  /** Free bytes in PX4's TX buffer, as `Mavlink::get_free_tx_buf()` would report them. */
  freeTxBytes(): number {
    return Math.max(0, this.faults().txBuffer - this.queuedBytes);
  }

  /** PX4 sends a frame: it waits in the TX buffer, then crosses the faulty wire. */
  send(frame: Buffer): void {
    if (this.closed) return;
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    if (this.faults().baud <= 0) this.drain();
    else this.ensureDrainTimer();
  }

  /** A frame arrived from the ground station; `deliver` runs once per surviving copy. */
  receive(deliver: () => void): void {
    if (this.closed) return;
    this.counters.framesIn++;
    this.applyFaults('in', deliver, this.faults().lossUp);
  }

  close(): void {
    this.closed = true;
    if (this.drainTimer) clearInterval(this.drainTimer);
    for (const h of [this.held.in, this.held.out]) if (h) clearTimeout(h.timer);
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private ensureDrainTimer(): void {
    if (this.drainTimer) return;
    this.drainTimer = setInterval(() => this.drain(), DRAIN_TICK_MS);
  }

  private drain(): void {
    const { baud } = this.faults();
    if (baud > 0) {
      const now = performance.now();
      const rate = baud / 10 / 1000; // bytes per ms, 8N1
      // Credit is capped so an idle link cannot bank a burst a real UART could never send.
      this.credit = Math.min(this.credit + (now - this.lastDrain) * rate, Math.max(600, rate * DRAIN_TICK_MS * 2));
      this.lastDrain = now;
    }
    while (this.queue.length > 0) {
      const frame = this.queue[0]!;
      if (baud > 0) {
        if (this.credit < frame.length) break;
        this.credit -= frame.length;
      }
      this.queue.shift();
      this.queuedBytes -= frame.length;
      this.counters.framesOut++;
      this.counters.bytesOut += frame.length;
      this.applyFaults('out', () => this.writeOut(frame), this.faults().lossDown);
    }
    if (this.queue.length === 0 && this.drainTimer) {
      clearInterval(this.drainTimer);
      this.drainTimer = undefined;
    } else if (this.queue.length > 0) {
      this.ensureDrainTimer();
    }
  }

  private applyFaults(dir: 'in' | 'out', deliver: () => void, loss: number): void {
    const f = this.faults();
    if (this.random() < loss) {
      if (dir === 'in') this.counters.droppedIn++;
      else this.counters.droppedOut++;
      return;
    }
    const copies = this.random() < f.dup ? 2 : 1;
    const run = (): void => {
      for (let i = 0; i < copies; i++) this.later(deliver, f.latencyMs);
    };
    const held = this.held[dir];
    if (held) {
      // The held frame goes after this one: a swap of neighbours.
      clearTimeout(held.timer);
      delete this.held[dir];
      run();
      held.run();
      return;
    }
    if (this.random() < f.reorder) {
      const timer = setTimeout(() => {
        delete this.held[dir];
        run();
      }, REORDER_HOLD_MS);
      this.held[dir] = { run, timer };
      return;
    }
    run();
  }

  private later(fn: () => void, ms: number): void {
    if (ms <= 0) fn();
    else
      setTimeout(() => {
        if (!this.closed) fn();
      }, ms);
  }
}
