import type { Logger } from 'pino';
import { type Config, toErrorData } from '@filesync/core';
import { type SupervisionEvent, type Supervisor, type SupervisorSnapshot, describeExit, startSupervisor } from '@filesync/actors';
import type { HealthSnapshot, PipelineHealth } from '@filesync/pipeline';
import { type Catalog, type CatalogCounts, type RepairReport, openCatalog } from '@filesync/store';
import { retryFailed } from './retry';
import { PIPELINE_ACTOR_MODULE, type PipelineActor, type PipelineActorArgs } from './actors/pipeline-actor';

export interface AgentStatus {
  readonly startedAt: number;
  readonly counts: CatalogCounts;
  readonly health: PipelineHealth;
  readonly repair: RepairReport | undefined;
  /** The supervision tree: each child's state, uptime and restarts. */
  readonly tree: SupervisorSnapshot | undefined;
}

export interface Agent {
  readonly catalog: Catalog;
  readonly repair: RepairReport | undefined;
  status(): AgentStatus;
  /** Resolves if the tree gives up (restart intensity exceeded): the process should exit non-zero. */
  readonly gaveUp: Promise<string>;
  /** Stops the tree in reverse order (each worker at a chunk boundary), backs up, closes the catalog. */
  stop(): Promise<void>;
}

/** How long each worker may take to stop before it is terminated. */
const WORKER_SHUTDOWN_MS = 8_000;
const HEALTH_POLL_MS = 1_000;

/**
 * Opens the catalog (repairing it if damaged: start-up never fails on the store), then starts the
 * tree of ARCHITECTURE.md: root (one_for_one) over one worker per source and one per target.
 */
export async function startAgent(config: Config, log: Logger): Promise<Agent> {
  const storePath = config.store.path ?? `${config.dataDir}/catalog.db`;
  const { catalog, repair } = openCatalog(storePath, {
    backupsKept: config.store.backups,
    log: (level, message, detail) => log[level](detail ?? {}, message),
  });
  if (repair) {
    log.warn({ repair }, `catalog was damaged (${repair.reason}); ${repair.action === 'fresh' ? 'started a fresh one' : `restored ${repair.backupUsed}`}; sources will be re-scanned`);
  }
  // A restart is when a fixed config (a password, a path) takes effect: give failed uploads another go.
  const requeued = retryFailed(catalog, 'queued again at agent start', undefined, { files: false });
  if (requeued.targets > 0) log.info({ requeued }, `queued ${requeued.targets} failed upload(s) again`);
  const rescan = catalog.takeRescanRequest();
  if (rescan) log.info({ rescan }, 'rescan requested: every source is listed in full at start');
  const child = (role: 'source' | 'target', id: string) => ({
    id: `${role}:${id}`,
    restart: 'permanent' as const,
    shutdown: WORKER_SHUTDOWN_MS,
    actor: { module: PIPELINE_ACTOR_MODULE, args: { config, role, id } satisfies PipelineActorArgs },
  });
  let gaveUp: (why: string) => void = () => undefined;
  const gaveUpPromise = new Promise<string>((resolve) => (gaveUp = resolve));
  const onEvent = (event: SupervisionEvent): void => {
    if (event.type === 'sup.child-crashed') log.warn({ event }, `${event.child} crashed: ${describeExit(event.reason)}`);
    else if (event.type === 'sup.gave-up') {
      log.error({ event }, 'supervisor gave up');
      gaveUp(`supervisor ${event.path.join("/")} gave up`);
    } else log.info({ event }, event.type);
  };
  const tree: Supervisor = await startSupervisor(
    {
      id: 'root',
      strategy: 'one_for_one',
      intensity: 10,
      periodMs: 60_000,
      children: [...config.sources.map((s) => child('source', s.id)), ...config.targets.map((t) => child('target', t.id))],
    },
    { onEvent, actorDefaults: { startTimeoutMs: 60_000, askTimeoutMs: 10_000 } },
  );

  // Health lives in the workers; it is polled so that status() stays a cheap synchronous read.
  const health: { sources: Record<string, HealthSnapshot>; targets: Record<string, HealthSnapshot> } = { sources: {}, targets: {} };
  const pollHealth = async (): Promise<void> => {
    for (const [role, list] of [['source', config.sources], ['target', config.targets]] as const) {
      for (const { id } of list) {
        const ref = tree.actor<PipelineActor>(`${role}:${id}`);
        const reply = await ref?.ask({ type: 'pipeline.health' }, { timeoutMs: 2_000 }).catch(() => undefined);
        if (reply) Object.assign(role === 'source' ? health.sources : health.targets, reply);
      }
    }
  };
  const healthTimer = setInterval(() => void pollHealth(), HEALTH_POLL_MS);
  healthTimer.unref();
  const backupTimer = setInterval(() => {
    catalog.backup().catch((err: unknown) => log.warn({ err: toErrorData(err) }, 'catalog backup failed'));
  }, config.store.backupIntervalSec * 1000);
  backupTimer.unref();

  const startedAt = Date.now();
  const snapshot = (): AgentStatus => ({ startedAt, counts: catalog.counts(), health, repair, tree: tree.snapshot() });
  // Kept from just before the catalog closes, for a last report after stop.
  let last: AgentStatus | undefined;
  log.info({ sources: config.sources.map((s) => s.id), targets: config.targets.map((t) => t.id) }, 'agent started');
  return {
    catalog,
    repair,
    gaveUp: gaveUpPromise,
    status: () => (catalog.isOpen || last === undefined ? snapshot() : last),
    async stop() {
      clearInterval(backupTimer);
      clearInterval(healthTimer);
      await tree.shutdown(WORKER_SHUTDOWN_MS + 1_000);
      await catalog.backup().catch((err: unknown) => log.warn({ err: toErrorData(err) }, 'final catalog backup failed'));
      last = snapshot();
      catalog.close();
      log.info('agent stopped');
    },
  };
}
