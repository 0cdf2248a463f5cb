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
/** How far a late drain may catch up (wire time not lost to host scheduling). */
const CATCH_UP_MS = 60;
const MAX_FRAME = 280;

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
  private wireFreeAt = 0;
  /** PX4 is refilling space a drain just freed: its frames continue the busy wire. */
  private refilling = false;
  private drainTimer: ReturnType<typeof setInterval> | undefined;
  private readonly held: { out?: { run: () => void; timer: ReturnType<typeof setTimeout> }; in?: { run: () => void; timer: ReturnType<typeof setTimeout> } } = {};
  private closed = false;

  constructor(
    private readonly writeOut: (frame: Buffer) => void,
    private readonly faults: () => LinkFaults,
    private readonly random: () => number = Math.random,
    /** Told when a capped wire freed TX space (the burst refills then). */
    private readonly onDrained: () => void = () => undefined,
  ) {}

  /** Free bytes in PX4's TX buffer, as `Mavlink::get_free_tx_buf()` would report them. */
  freeTxBytes(): number {
    return Math.max(0, this.faults().txBuffer - this.queuedBytes);
  }

  /** PX4 sends a frame: it waits in the TX buffer, then crosses the faulty wire. */
  send(frame: Buffer): void {
    if (this.closed) return;
    // A frame put on an idle wire starts now; only a wire that was busy (late timer) catches up.
    if (this.queue.length === 0 && !this.refilling) this.wireFreeAt = Math.max(this.wireFreeAt, performance.now());
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
    this.drainTimer = setInterval(() => this.pump(), DRAIN_TICK_MS);
  }

  /**
   * Drains the wire and lets PX4 refill the freed TX space, repeatedly, until the wire has caught
   * up with the clock: a timer that fires late on a loaded host then costs delay, not capacity.
   */
  private pump(): void {
    for (let guard = 0; guard < 10_000; guard++) {
      if (this.drain() === 0) break;
      this.refilling = true;
      try {
        this.onDrained();
      } finally {
        this.refilling = false;
      }
    }
  }

  /** Puts due frames on the wire; returns how many left the queue. */
  private drain(): number {
    let sent = 0;
    const { baud } = this.faults();
    const now = performance.now();
    // The wire is modelled by when it is next free, so a late timer delays frames but never
    // loses link capacity; an idle wire banks nothing.
    // (At least two frames' time: on a 9600-baud wire one frame alone takes 277 ms.)
    const floor = now - Math.max(CATCH_UP_MS, baud > 0 ? (2 * MAX_FRAME * 10 * 1000) / baud : 0);
    if (this.wireFreeAt < floor) this.wireFreeAt = floor;
    while (this.queue.length > 0) {
      const frame = this.queue[0]!;
      if (baud > 0) {
        const done = this.wireFreeAt + (frame.length * 10 * 1000) / baud;
        if (done > now) break;
        this.wireFreeAt = done;
      }
      this.queue.shift();
      sent++;
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
    return sent;
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
