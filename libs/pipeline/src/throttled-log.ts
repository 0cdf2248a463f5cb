import { type Clock, systemClock } from '@filesync/core';
import type { PipelineLogger } from './ports';

/** A repeated warning is written at most once this often per key. */
export const WARN_EVERY_MS = 10 * 60 * 1000;

/**
 * Warnings that repeat at every poll (a source refusing to remove a file, a file stepping aside again,
 * staging still full) are written once per key and interval, with how many were held back since, so a
 * fault that lasts a day costs a few lines rather than one per poll.
 */
export class ThrottledLog {
  private readonly last = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly log: PipelineLogger,
    private readonly everyMs: number = WARN_EVERY_MS,
    private readonly clock: Clock = systemClock,
  ) {}

  warn(key: string, obj: object, msg: string): void {
    const now = this.clock.monotonic();
    const seen = this.last.get(key);
    if (seen !== undefined && now - seen.atMs < this.everyMs) {
      seen.suppressed++;
      return;
    }
    this.last.set(key, { atMs: now, suppressed: 0 });
    this.log.warn(seen && seen.suppressed > 0 ? { ...obj, repeated: seen.suppressed } : obj, msg);
  }

  /** The condition behind `key` is over: its next warning is written at once. */
  clear(key: string): void {
    this.last.delete(key);
  }
}
