import { type Clock, type FilesyncError, sleep, systemClock, toErrorData } from '@filesync/core';
import type { Health } from './health';

export type StepResult =
  /** Did something; go again at once. */
  | { readonly kind: 'busy' }
  /** Nothing to do; wait for a wake-up or the idle interval. */
  | { readonly kind: 'idle' }
  /** The device failed; health backs off before the next try. */
  | { readonly kind: 'fault'; readonly error: FilesyncError; readonly retryAfterMs?: number };

export interface WorkLoopOptions {
  readonly idleMs: number;
  readonly clock?: Clock;
  readonly health?: Health;
  readonly signal: AbortSignal;
  /** Bounds the loop in tests; unbounded in the agent. */
  readonly maxSteps?: number;
}

/**
 * Runs `step` until aborted: at once while busy, after `idleMs` (or a `wake()`) when idle, and after
 * the health backoff on a fault, so a dead device doesn't spin and a returning one resumes at once.
 */
export class WorkLoop {
  private wakeUp: (() => void) | undefined;

  constructor(private readonly step: (signal: AbortSignal) => Promise<StepResult>) {}

  /** Cuts the current idle wait short (new files found, a device came back). */
  wake(): void {
    this.wakeUp?.();
  }

  async run(options: WorkLoopOptions): Promise<void> {
    const clock = options.clock ?? systemClock;
    for (let n = 0; !options.signal.aborted && (options.maxSteps === undefined || n < options.maxSteps); n++) {
      const result = await this.step(options.signal);
      if (result.kind === 'busy') {
        options.health?.succeeded();
        continue;
      }
      let waitMs = options.idleMs;
      if (result.kind === 'fault') {
        options.health?.failed(toErrorData(result.error), result.retryAfterMs);
        waitMs = options.health?.waitMs() ?? options.idleMs;
      } else {
        options.health?.succeeded();
      }
      await this.pause(waitMs, clock, options.signal);
    }
  }

  private async pause(ms: number, clock: Clock, signal: AbortSignal): Promise<void> {
    const timer = new AbortController();
    const stop = (): void => timer.abort();
    signal.addEventListener('abort', stop, { once: true });
    this.wakeUp = stop;
    try {
      await sleep(ms, clock, timer.signal);
    } catch {
      // Woken or aborted: the loop condition decides what comes next.
    } finally {
      this.wakeUp = undefined;
      signal.removeEventListener('abort', stop);
    }
  }
}
