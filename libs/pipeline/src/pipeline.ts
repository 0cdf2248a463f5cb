import { type BackoffPolicy, type Clock, type Source, type Staging, type Target, configIdOfSource, systemClock } from '@filesync/core';
import type { Config } from '@filesync/core/config';
import type { FileRecord } from '@filesync/store';
import type { HealthSnapshot } from './health';
import type { CatalogPort, PipelineLogger } from './ports';
import { silentLogger } from './ports';
import { type Routing, buildRouting } from './routing';
import { type SourceProvider, isSourceProvider } from './source-provider';
import { SourcePipeline, type SourceStage } from './source-pipeline';
import { TargetPipeline } from './target-pipeline';

export interface PipelineParts {
  readonly config: Pick<Config, 'routes' | 'staging' | 'sources'> & { readonly vehicle?: string };
  readonly catalog: CatalogPort;
  readonly staging: Staging;
  /** Fixed sources, and providers of sources that come and go (flash drives). */
  readonly sources: readonly (Source | SourceProvider)[];
  readonly targets: readonly Target[];
  readonly clock?: Clock;
  readonly log?: PipelineLogger;
  /** Backoff of the connection checks (tests make it short). */
  readonly healthBackoff?: BackoffPolicy;
  /** Stages each source loop runs (default all): the agent runs finder, downloader and cleaner in separate workers. */
  readonly sourceStages?: readonly SourceStage[];
  /** Ids of the routes an operator paused (see `routeIds`), asked before a download starts a new file. */
  readonly pausedRoutes?: () => ReadonlySet<string> | Promise<ReadonlySet<string>>;
  /**
   * Told when other threads should look now rather than at their next poll: new files found on a
   * source, a file staged, a file delivered (by catalog source id).
   */
  readonly signals?: {
    readonly found?: (sourceId: string) => void;
    readonly staged?: (sourceId: string) => void;
    readonly delivered?: (file: FileRecord) => void;
  };
}

export interface PipelineHealth {
  readonly sources: Record<string, HealthSnapshot>;
  readonly targets: Record<string, HealthSnapshot>;
}

/**
 * source → staging → targets for a whole config, in one thread. Each source and each target runs
 * its own loop, so a dead target never delays another. A provider's volume gets a loop while it is
 * present; its files keep their state while it is away and go on when the same volume returns.
 */
export class Pipeline {
  private readonly sourceLoops = new Map<string, { pipeline: SourcePipeline; controller: AbortController; done: Promise<void> }>();
  private readonly absent = new Map<string, HealthSnapshot>();
  readonly targets: ReadonlyMap<string, TargetPipeline>;
  private readonly controller = new AbortController();
  private readonly unwatch: (() => void)[] = [];
  private targetsDone: Promise<unknown> | undefined;
  private readonly clock: Clock;
  private readonly log: PipelineLogger;
  private readonly routing: Routing;

  constructor(private readonly parts: PipelineParts) {
    this.clock = parts.clock ?? systemClock;
    this.log = parts.log ?? silentLogger;
    this.routing = buildRouting(parts.config.routes, parts.config.vehicle);
    const onDelivered = async (file: FileRecord): Promise<void> => {
      await parts.staging.remove(file.fileId);
      this.sourceLoops.get(file.sourceId)?.pipeline.wake();
      parts.signals?.delivered?.(file);
    };
    this.targets = new Map(
      parts.targets.map(
        (target) =>
          [
            target.id,
            new TargetPipeline(target, parts.staging, parts.catalog, this.routing, onDelivered, this.clock, this.log, {
              ...(parts.healthBackoff ? { healthBackoff: parts.healthBackoff } : {}),
            }),
          ] as const,
      ),
    );
  }

  /** Source loops running now, by catalog source id. */
  get sources(): ReadonlyMap<string, SourcePipeline> {
    return new Map([...this.sourceLoops].map(([id, loop]) => [id, loop.pipeline]));
  }

  start(): void {
    if (this.targetsDone) return;
    const signal = this.controller.signal;
    this.targetsDone = Promise.all([...this.targets.values()].map((t) => t.run(signal)));
    for (const source of this.parts.sources) {
      if (!isSourceProvider(source)) {
        this.attach(source);
        continue;
      }
      this.markAbsent(source.configId);
      let current: string | undefined;
      this.unwatch.push(
        source.watch((volume) => {
          if (current !== undefined) this.detach(current);
          current = volume?.id;
          if (volume) {
            this.absent.delete(source.configId);
            this.attach(volume);
          } else {
            this.markAbsent(source.configId);
          }
        }),
      );
    }
  }

  private attach(source: Source): void {
    if (this.sourceLoops.has(source.id) || this.controller.signal.aborted) return;
    const sourceConfig = this.parts.config.sources.find((s) => s.id === configIdOfSource(source.id));
    const pipeline = new SourcePipeline(
      source,
      this.parts.staging,
      this.parts.catalog,
      this.routing,
      {
        pollIntervalMs: (sourceConfig?.pollIntervalSec ?? 30) * 1000,
        onStaged: () => {
          this.wakeTargets();
          this.parts.signals?.staged?.(source.id);
        },
        onFound: () => this.parts.signals?.found?.(source.id),
        ...(this.parts.sourceStages ? { stages: this.parts.sourceStages } : {}),
        ...(this.parts.healthBackoff ? { healthBackoff: this.parts.healthBackoff } : {}),
        downloader: {
          checkpointBytes: this.parts.config.staging.checkpointBytes,
          checkpointMs: this.parts.config.staging.checkpointMs,
          reserveBytes: this.parts.config.staging.reserveBytes,
          maxBytes: this.parts.config.staging.maxBytes,
          settleMs: (sourceConfig?.settleSec ?? 3) * 1000,
          ...(this.parts.pausedRoutes ? { mayStart: this.startFilter(this.parts.pausedRoutes) } : {}),
        },
      },
      this.clock,
      this.log,
    );
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    this.controller.signal.addEventListener('abort', stop, { once: true });
    const done = pipeline.run(controller.signal).finally(() => this.controller.signal.removeEventListener('abort', stop));
    this.sourceLoops.set(source.id, { pipeline, controller, done });
    this.log.info({ source: source.id }, 'source attached');
  }

  /** Which found files may start now: those some unpaused route takes. */
  private startFilter(paused: () => ReadonlySet<string> | Promise<ReadonlySet<string>>): () => Promise<(file: FileRecord) => boolean> {
    return async () => {
      const now = await paused();
      return (file) => !this.routing.isHeld(file, now);
    };
  }

  private detach(sourceId: string): void {
    const loop = this.sourceLoops.get(sourceId);
    if (!loop) return;
    loop.controller.abort();
    this.sourceLoops.delete(sourceId);
    this.log.info({ source: sourceId }, 'source detached');
  }

  private markAbsent(configId: string): void {
    this.absent.set(configId, {
      state: 'down',
      cause: { kind: 'transient', code: 'device-gone', message: 'no volume present' },
      consecutiveFailures: 0,
      retryAtMs: 0,
      since: this.clock.now(),
    });
  }

  /** Wakes the loops of one configured source (all when undefined); `rescan` lists at once. */
  wakeSources(configId?: string, rescan = false): void {
    for (const [id, loop] of this.sourceLoops) {
      if (configId === undefined || configIdOfSource(id) === configId) loop.pipeline.wake(rescan);
    }
  }

  /** Wakes every uploader: a file was staged. */
  wakeTargets(): void {
    for (const t of this.targets.values()) t.wake();
  }

  health(): PipelineHealth {
    return {
      sources: {
        ...Object.fromEntries(this.absent),
        ...Object.fromEntries([...this.sourceLoops].map(([id, s]) => [id, s.pipeline.healthSnapshot()])),
      },
      targets: Object.fromEntries([...this.targets].map(([id, t]) => [id, t.health.snapshot])),
    };
  }

  async stop(): Promise<void> {
    for (const u of this.unwatch.splice(0)) u();
    this.controller.abort();
    await Promise.all([this.targetsDone, ...[...this.sourceLoops.values()].map((l) => l.done)]);
  }
}
