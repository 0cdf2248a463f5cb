import type { Logger } from 'pino';
import { type Config, toErrorData } from '@filesync/core';
import { createLocalStaging } from '@filesync/device-local';
import { Pipeline, type PipelineHealth } from '@filesync/pipeline';
import { type Catalog, type CatalogCounts, type RepairReport, openCatalog } from '@filesync/store';
import { createSource, createTarget } from './devices';

export interface AgentStatus {
  readonly startedAt: number;
  readonly counts: CatalogCounts;
  readonly health: PipelineHealth;
  readonly repair: RepairReport | undefined;
}

export interface Agent {
  readonly catalog: Catalog;
  readonly repair: RepairReport | undefined;
  status(): AgentStatus;
  /** Stops the loops (each at a chunk boundary), takes a last backup, closes the catalog. */
  stop(): Promise<void>;
}

/**
 * Opens the catalog (repairing it if it is damaged: start-up never fails on the store), builds every
 * device from the config and starts the pipeline.
 */
export function startAgent(config: Config, log: Logger): Agent {
  const storePath = config.store.path ?? `${config.dataDir}/catalog.db`;
  const { catalog, repair } = openCatalog(storePath, {
    backupsKept: config.store.backups,
    log: (level, message, detail) => log[level](detail ?? {}, message),
  });
  if (repair) {
    log.warn({ repair }, `catalog was damaged (${repair.reason}); ${repair.action === 'fresh' ? 'started a fresh one' : `restored ${repair.backupUsed}`}; sources will be re-scanned`);
  }
  const staging = createLocalStaging(config.staging.dir ?? `${config.dataDir}/staging`);
  const pipeline = new Pipeline({
    config,
    catalog,
    staging,
    sources: config.sources.map(createSource),
    targets: config.targets.map(createTarget),
    log,
  });
  const startedAt = Date.now();
  pipeline.start();
  const backupTimer = setInterval(() => {
    catalog.backup().catch((err: unknown) => log.warn({ err: toErrorData(err) }, 'catalog backup failed'));
  }, config.store.backupIntervalSec * 1000);
  backupTimer.unref();
  log.info({ sources: config.sources.map((s) => s.id), targets: config.targets.map((t) => t.id) }, 'agent started');
  return {
    catalog,
    repair,
    status: () => ({ startedAt, counts: catalog.counts(), health: pipeline.health(), repair }),
    async stop() {
      clearInterval(backupTimer);
      await pipeline.stop();
      await catalog.backup().catch((err: unknown) => log.warn({ err: toErrorData(err) }, 'final catalog backup failed'));
      catalog.close();
      log.info('agent stopped');
    },
  };
}
