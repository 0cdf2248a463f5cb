import { type BackoffPolicy, type Clock, type ErrorData, assertNever, type Source, type Staging, classifyError, systemClock } from '@filesync/core';
import { type DownloadOutcome, Downloader, type DownloaderOptions } from './downloader';
import { Finder, describeProblems } from './finder';
import { Health, type HealthSnapshot } from './health';
import type { CatalogPort, PipelineLogger } from './ports';
import { silentLogger } from './ports';
import type { Routing } from './routing';
import { SourceCleaner } from './source-cleaner';
import { ThrottledLog, WARN_EVERY_MS } from './throttled-log';
import { type StepResult, WorkLoop } from './work-loop';

/**
 * A listing takes at most a fifth of the time: after one that took `t`, the next waits at least 4·t
 * (or the poll interval, when longer). Listing 20,000 files every second kept a core busy with lstat
 * and catalog reads (half the agent's CPU), and on MAVFTP a long listing holds the one session that
 * downloads need.
 */
const LISTING_GAP_FACTOR = 4;

/** The three jobs done on a source; the agent runs each in its own worker, tests run all three in one loop. */
export type SourceStage = 'find' | 'download' | 'clean';
export const SOURCE_STAGES: readonly SourceStage[] = ['find', 'download', 'clean'];

export interface SourcePipelineOptions {
  readonly pollIntervalMs: number;
  readonly downloader: Partial<DownloaderOptions>;
  readonly onStaged?: () => void;
  /** A scan recorded new (or reappeared) files: a downloader in another thread should look now. */
  readonly onFound?: () => void;
  readonly healthBackoff?: BackoffPolicy;
  /** Which stages this loop runs; default all three. */
  readonly stages?: readonly SourceStage[];
}

/**
 * Everything done on one source, which owns its link alone: the Finder lists, the Downloader copies
 * into staging, the cleaner removes moved files. They take turns on the one device, so a listing
 * never collides with a read (one MAVFTP session) and runs between download slices.
 */
export class SourcePipeline {
  readonly health: Health;
  private readonly finder: Finder;
  private readonly downloader: Downloader;
  private readonly cleaner: SourceCleaner;
  private readonly loop: WorkLoop;
  private lastScanAt = -Infinity;
  /** Time from the end of one listing to the start of the next: the poll interval, or longer after a long listing. */
  private scanGapMs: number;
  private lastCleanAt = -Infinity;
  private cleanupDue = true;
  /** The last scan's problems in one line ("2 problems: …"), shown in health; undefined when it had none. */
  private listingProblems: string | undefined;
  /** Says the problems when they change, and while they last once per `WARN_EVERY_MS`. */
  private readonly problemLog: ThrottledLog;
  private readonly stages: ReadonlySet<SourceStage>;
  /** Said once per wait, not at every poll. */
  private waitingForSpace = false;
  /**
   * Whether any route of this source moves files: with none, the cleaner has nothing to remove, and its
   * sweep (a listing of every delivered file, at each delivery) is not run — under `copy` that list only
   * grows, which made each delivery cost O(files delivered so far).
   */
  private readonly moves: boolean;

  constructor(
    readonly source: Source,
    private readonly staging: Staging,
    private readonly catalog: CatalogPort,
    routing: Routing,
    private readonly options: SourcePipelineOptions,
    private readonly clock: Clock = systemClock,
    private readonly log: PipelineLogger = silentLogger,
  ) {
    this.health = new Health(clock, options.healthBackoff);
    this.problemLog = new ThrottledLog(log, WARN_EVERY_MS, clock);
    this.stages = new Set(options.stages ?? SOURCE_STAGES);
    this.scanGapMs = options.pollIntervalMs;
    this.finder = new Finder(source, routing.routesOf(source.id), catalog, clock, log);
    this.downloader = new Downloader(source, staging, catalog, { order: routing.orderOf(source.id), follows: (f) => routing.follows(f), ...options.downloader }, clock, log);
    this.cleaner = new SourceCleaner(source, catalog, (f) => routing.isMoved(f), log);
    this.moves = routing.routesOf(source.id).some((r) => r.policy === 'move');
    this.loop = new WorkLoop((signal) => this.step(signal));
  }

  /** Asks for a listing now (a drive was mounted, a link came up, a file was delivered). */
  wake(rescan = false): void {
    if (rescan) this.lastScanAt = -Infinity;
    this.cleanupDue = true;
    this.loop.wake();
  }

  run(signal: AbortSignal, maxSteps?: number): Promise<void> {
    return this.loop.run({ idleMs: Math.min(1000, this.options.pollIntervalMs), clock: this.clock, health: this.health, signal, ...(maxSteps === undefined ? {} : { maxSteps }) });
  }

  private async step(signal: AbortSignal) {
    try {
      if (this.stages.has('find') && this.clock.monotonic() - this.lastScanAt >= this.scanGapMs) {
        const startedAt = this.clock.monotonic();
        const scan = await this.finder.scan();
        this.lastScanAt = this.clock.monotonic();
        this.scanGapMs = Math.max(this.options.pollIntervalMs, LISTING_GAP_FACTOR * (this.lastScanAt - startedAt));
        // Deliveries happen on the targets' loops (other threads in the agent): look for them at each scan.
        this.cleanupDue = true;
        this.noteProblems(scan.problems.length > 0 ? describeProblems(scan.problems) : undefined);
        if (scan.recorded + scan.reappeared + scan.vanished > 0) {
          this.log.info({ source: this.source.id, listed: scan.listed, recorded: scan.recorded, reappeared: scan.reappeared, vanished: scan.vanished }, 'scanned');
        }
        if (scan.recorded + scan.reappeared > 0) this.options.onFound?.();
      }
      // A cleaner on its own hears of deliveries by `wake`; the poll interval is its fallback.
      if (this.stages.has('clean') && this.moves && (this.cleanupDue || this.clock.monotonic() - this.lastCleanAt >= this.options.pollIntervalMs)) {
        this.cleanupDue = false;
        this.lastCleanAt = this.clock.monotonic();
        await this.cleaner.sweep();
      }
      if (!this.stages.has('download')) return { kind: 'idle' } as const;
      // As many slices side by side as the device allows (1 for MAVFTP: one session on the autopilot).
      const outcomes = await Promise.all(
        Array.from({ length: Math.max(1, this.source.features.parallelism) }, () => this.downloader.step(signal)),
      );
      return this.summarize(outcomes);
    } catch (err) {
      if (signal.aborted) return { kind: 'idle' } as const;
      const error = classifyError(err);
      this.log.warn({ source: this.source.id, code: error.code }, `source fault: ${error.message}`);
      return { kind: 'fault', error } as const;
    }
  }

  /** The listing's problems with the health snapshot, for status. */
  healthSnapshot(): HealthSnapshot {
    const snapshot = this.health.snapshot;
    return this.listingProblems === undefined ? snapshot : { ...snapshot, listingProblems: this.listingProblems };
  }

  /** Logs a scan's problems when they change, and while they last at most once per `WARN_EVERY_MS`. */
  private noteProblems(problems: string | undefined): void {
    if (problems !== this.listingProblems) this.problemLog.clear('listing');
    this.listingProblems = problems;
    if (problems !== undefined) this.problemLog.warn('listing', { source: this.source.id }, `listing incomplete, the walk went on: ${problems}`);
  }


  /**
   * One loop result for the slices of a step: busy if any made progress, else the first fault, else
   * idle. Health shows, beside the link's own state, why downloads wait for space or which file keeps
   * failing (`degraded`, without backing the source off: its other files go on).
   */
  private summarize(outcomes: readonly DownloadOutcome[]): StepResult {
    let busy = false;
    let waiting: ErrorData | undefined;
    let fault: StepResult | undefined;
    for (const outcome of outcomes) {
      switch (outcome.kind) {
        case 'idle':
          break;
        case 'waiting-for-space': {
          const why =
            outcome.heldBytes !== undefined
              ? `waiting for space: staging holds ${outcome.heldBytes} bytes, its quota (staging.maxBytes) is reached`
              : `waiting for space: ${outcome.path ?? 'the next file'} needs ${outcome.needBytes ?? 0} bytes, ${outcome.freeBytes} free (after staging.reserveBytes and the downloads in flight)`;
          if (!this.waitingForSpace) this.log.warn({ source: this.source.id, ...outcome }, `${why}; downloads go on once uploads free space`);
          waiting ??= { kind: 'transient', code: 'no-space', message: why };
          break;
        }
        case 'staged':
          this.options.onStaged?.();
          busy = true;
          break;
        case 'retry':
          if (outcome.error.kind === 'transient') fault ??= { kind: 'fault', error: outcome.error };
          else busy = true;
          break;
        case 'progress':
        case 'stepped-aside':
        case 'vanished':
        case 'changed':
        case 'failed':
          busy = true;
          break;
        default:
          assertNever(outcome);
      }
    }
    this.waitingForSpace = waiting !== undefined && !busy;
    this.health.setCondition(busy ? this.downloader.trouble() : (waiting ?? this.downloader.trouble()));
    return busy ? { kind: 'busy' } : (fault ?? { kind: 'idle' });
  }
}
