import { type BackoffPolicy, type Clock, type Staging, type Target, classifyError, systemClock } from '@filesync/core';
import { Health } from './health';
import type { CatalogPort, PipelineLogger } from './ports';
import { silentLogger } from './ports';
import type { Routing } from './routing';
import { type DeliveredHook, Uploader } from './uploader';
import { WorkLoop } from './work-loop';

/** How often an idle uploader looks for vanished files on its target. */
const RECONCILE_EVERY_MS = 30_000;

/**
 * An upload records its progress once this many bytes are sent (the row shows it under way), then
 * once every `PROGRESS_MS`. The records are for status and the transfer rate (a target that resumes
 * goes on from its in-transit copy, not from them), and each is a catalog commit with its WAL fsync
 * on the uploader's thread: one every MiB, as before, was 300 a second to a fast local disk, 12 % of
 * a large file's upload time on this 2-core machine, and more on a Pi's SD card. A file sent within
 * the first interval and cut before its commit is recorded is sent again (its commit then finds it
 * already there).
 */
const PROGRESS_FIRST_BYTES = 1024 * 1024;
const PROGRESS_MS = 1000;

/**
 * Uploads to one target, as many files at once as it takes (`features.parallelism`), each send a loop
 * of its own sharing one health. A fault (down, full: 552 / ENOSPC) pauses only this target, with
 * backoff; the other targets go on.
 */
export class TargetPipeline {
  readonly health: Health;
  private readonly uploader: Uploader;
  private readonly loops: readonly WorkLoop[];
  private readonly idleMs: number;
  private lastReconcileAt = -Infinity;

  constructor(
    readonly target: Target,
    staging: Staging,
    catalog: CatalogPort,
    routing: Routing,
    onDelivered: DeliveredHook,
    private readonly clock: Clock = systemClock,
    private readonly log: PipelineLogger = silentLogger,
    options: { idleMs?: number; maxAttempts?: number; healthBackoff?: BackoffPolicy } = {},
  ) {
    this.health = new Health(clock, options.healthBackoff);
    this.idleMs = options.idleMs ?? 500;
    this.uploader = new Uploader(
      target,
      staging,
      catalog,
      {
        pathOf: (file) => routing.targetPath(file, target.id),
        maxAttempts: options.maxAttempts ?? 3,
        progressBytes: PROGRESS_FIRST_BYTES,
        progressMs: PROGRESS_MS,
      },
      onDelivered,
      log,
    );
    // The first loop alone looks after finished and vanished files when idle: one listing, not one per loop.
    this.loops = Array.from({ length: Math.max(1, target.features.parallelism) }, (_, n) => new WorkLoop((signal) => this.step(signal, n === 0)));
  }

  wake(): void {
    for (const loop of this.loops) loop.wake();
  }

  /** Runs every loop until `signal` aborts; `maxSteps` bounds each loop (tests). */
  async run(signal: AbortSignal, maxSteps?: number): Promise<void> {
    const options = { idleMs: this.idleMs, clock: this.clock, health: this.health, signal, ...(maxSteps === undefined ? {} : { maxSteps }) };
    await Promise.all(this.loops.map((loop) => loop.run(options)));
  }

  private async step(signal: AbortSignal, housekeeping: boolean) {
    try {
      const outcome = await this.uploader.step(signal);
      if (outcome.kind === 'idle') {
        if (!housekeeping) return { kind: 'idle' } as const;
        if ((await this.uploader.deliverFinished()) > 0) return { kind: 'busy' } as const;
        if (this.clock.monotonic() - this.lastReconcileAt >= RECONCILE_EVERY_MS) {
          this.lastReconcileAt = this.clock.monotonic();
          if ((await this.uploader.reconcileVanished()) > 0) return { kind: 'busy' } as const;
        }
        return { kind: 'idle' } as const;
      }
      if (outcome.kind === 'retry' && outcome.error.kind === 'transient') {
        this.log.warn({ target: this.target.id, code: outcome.error.code }, `target fault: ${outcome.error.message}`);
        return { kind: 'fault', error: outcome.error } as const;
      }
      return { kind: 'busy' } as const;
    } catch (err) {
      if (signal.aborted) return { kind: 'idle' } as const;
      const error = classifyError(err);
      this.log.warn({ target: this.target.id, code: error.code }, `target fault: ${error.message}`);
      return { kind: 'fault', error } as const;
    }
  }
}
