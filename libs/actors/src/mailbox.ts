/**
 * A FIFO that runs one item at a time (after xstate's Mailbox). Actors handle messages in order
 * and never two at once, so a device actor owns its link without locks. The processor owns
 * try/catch: an item that throws must not stop the ones behind it.
 */
export class Mailbox<T> {
  private readonly items: T[] = [];
  private running = false;
  private current: { readonly item: T; readonly since: number } | undefined;

  constructor(private readonly process: (item: T) => Promise<void> | void) {}

  get size(): number {
    return this.items.length;
  }

  /** The item being processed and since when (`performance.now()`), for hang reports. */
  busy(): { readonly item: T; readonly since: number } | undefined {
    return this.current;
  }

  push(item: T): void {
    this.items.push(item);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let item = this.items.shift(); item !== undefined; item = this.items.shift()) {
        this.current = { item, since: performance.now() };
        await this.process(item);
      }
    } finally {
      this.current = undefined;
      this.running = false;
    }
  }
}
