import { type BackoffPolicy, type Clock, type Config, type Source, type Staging, type Target, systemClock } from '@filesync/core';
import type { FileRecord } from '@filesync/store';
import type { HealthSnapshot } from './health';
import type { CatalogPort, PipelineLogger } from './ports';
import { silentLogger } from './ports';
import { buildRouting } from './routing';
import { SourcePipeline } from './source-pipeline';
import { TargetPipeline } from './target-pipeline';

export interface PipelineParts {
  readonly config: Pick<Config, 'routes' | 'staging' | 'sources'>;
  readonly catalog: CatalogPort;
  readonly staging: Staging;
  readonly sources: readonly Source[];
  readonly targets: readonly Target[];
  readonly clock?: Clock;
  readonly log?: PipelineLogger;
  /** Backoff of the connection checks (tests make it short). */
  readonly healthBackoff?: BackoffPolicy;
}

export interface PipelineHealth {
  readonly sources: Record<string, HealthSnapshot>;
  readonly targets: Record<string, HealthSnapshot>;
}

/**
 * source → staging → targets for a whole config, in one thread. Each source and each target runs
 * its own loop, so a dead target never delays another.
 */
export class Pipeline {
  readonly sources: ReadonlyMap<string, SourcePipeline>;
  readonly targets: ReadonlyMap<string, TargetPipeline>;
  private readonly controller = new AbortController();
  private running: Promise<unknown> | undefined;

  constructor(parts: PipelineParts) {
    const clock = parts.clock ?? systemClock;
    const log = parts.log ?? silentLogger;
    const routing = buildRouting(parts.config.routes);
    const onDelivered = async (file: FileRecord): Promise<void> => {
      await parts.staging.remove(file.fileId);
      this.sources.get(file.sourceId)?.wake();
    };
    this.sources = new Map(
      parts.sources.map((source) => {
        const sourceConfig = parts.config.sources.find((s) => s.id === source.id);
        const pipeline = new SourcePipeline(
          source,
          parts.staging,
          parts.catalog,
          routing,
          {
            pollIntervalMs: (sourceConfig?.pollIntervalSec ?? 30) * 1000,
            onStaged: () => this.wakeTargets(),
            ...(parts.healthBackoff ? { healthBackoff: parts.healthBackoff } : {}),
            downloader: {
              checkpointBytes: parts.config.staging.checkpointBytes,
              checkpointMs: parts.config.staging.checkpointMs,
              reserveBytes: parts.config.staging.reserveBytes,
            },
          },
          clock,
          log,
        );
        return [source.id, pipeline] as const;
      }),
    );
    this.targets = new Map(
      parts.targets.map((target) => [target.id, new TargetPipeline(target, parts.staging, parts.catalog, routing, onDelivered, clock, log, parts.healthBackoff ? { healthBackoff: parts.healthBackoff } : {})] as const),
    );
  }

  start(): void {
    if (this.running) return;
    const signal = this.controller.signal;
    this.running = Promise.all([...[...this.sources.values()].map((s) => s.run(signal)), ...[...this.targets.values()].map((t) => t.run(signal))]);
  }

  /** Wakes every uploader: a file was staged. */
  wakeTargets(): void {
    for (const t of this.targets.values()) t.wake();
  }

  health(): PipelineHealth {
    return {
      sources: Object.fromEntries([...this.sources].map(([id, s]) => [id, s.health.snapshot])),
      targets: Object.fromEntries([...this.targets].map(([id, t]) => [id, t.health.snapshot])),
    };
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
  }
}
