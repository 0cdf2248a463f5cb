/**
 * Runs `sample` every `everyMs`, never two at once, until stopped. Stopping waits for a sample in
 * progress and then takes one last sample, so whatever happened just before the stop is seen.
 */
export class SamplingLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly sample: () => Promise<void>,
    private readonly everyMs: number,
  ) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.sample().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.everyMs);
      });
    };
    tick();
  }

  /** Ends the loop (once; later calls do nothing) after its last sample. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.sample();
  }
}
