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
  const sources = config.sources.map(createSource);
  const targets = config.targets.map((t) => createTarget(t, config.dataDir));
  const pipeline = new Pipeline({ config, catalog, staging, sources, targets, log });
  const startedAt = Date.now();
  const snapshot = (): AgentStatus => ({ startedAt, counts: catalog.counts(), health: pipeline.health(), repair });
  // Kept from just before the catalog closes, for a last report after stop.
  let last: AgentStatus | undefined;
  pipeline.start();
  const backupTimer = setInterval(() => {
    catalog.backup().catch((err: unknown) => log.warn({ err: toErrorData(err) }, 'catalog backup failed'));
  }, config.store.backupIntervalSec * 1000);
  backupTimer.unref();
  log.info({ sources: config.sources.map((s) => s.id), targets: config.targets.map((t) => t.id) }, 'agent started');
  return {
    catalog,
    repair,
    status: () => (catalog.isOpen || last === undefined ? snapshot() : last),
    async stop() {
      clearInterval(backupTimer);
      await pipeline.stop();
      await Promise.all([...sources, ...targets].map((d) => d.close().catch((err: unknown) => log.warn({ err: toErrorData(err) }, 'closing a device failed'))));
      await catalog.backup().catch((err: unknown) => log.warn({ err: toErrorData(err) }, 'final catalog backup failed'));
      last = snapshot();
      catalog.close();
      log.info('agent stopped');
    },
  };
}
