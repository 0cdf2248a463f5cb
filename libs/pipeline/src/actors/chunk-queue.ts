/**
 * The data of a write that arrives one message at a time, as the `AsyncIterable` a `Target.write`
 * consumes. `push` resolves once the consumer has come back for the next chunk, i.e. has dealt with
 * this one: the sender waits for that before sending more (back-pressure across the thread hop).
 */
export class ChunkQueue implements AsyncIterable<Uint8Array> {
  private readonly items: { readonly data: Uint8Array; readonly taken: () => void }[] = [];
  private wakeConsumer: (() => void) | undefined;
  private ended = false;
  /** Called when the consumer asks for more after a chunk, or gives up. */
  private release: (() => void) | undefined;

  push(data: Uint8Array): Promise<void> {
    if (this.ended) return Promise.reject(new Error('chunk pushed after the end of the write'));
    return new Promise<void>((taken) => {
      this.items.push({ data, taken });
      this.wakeConsumer?.();
    });
  }

  end(): void {
    this.ended = true;
    this.wakeConsumer?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        this.release?.();
        this.release = undefined;
        const item = this.items.shift();
        if (item) {
          this.release = item.taken;
          yield item.data;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
        this.wakeConsumer = undefined;
      }
    } finally {
      // The consumer stopped early (the write failed): nobody waits on a chunk forever.
      this.release?.();
      for (const item of this.items.splice(0)) item.taken();
    }
  }
}
