import type { Logger } from 'pino';
import { toErrorData } from '@filesync/core';
import type { Config } from '@filesync/core/config';
import { type ActorLogLine, type SupervisionEvent, type SupervisionListener, Supervisor, type SupervisorSnapshot, describeExit } from '@filesync/actors';
import type { LinkActor, PipelineHealth } from '@filesync/pipeline';
import { type Catalog, type CatalogCounts, type RepairReport, openCatalog } from '@filesync/store';
import { retryFailed } from './retry';
import type { StageActor } from './actors/stage-actor';
import { stagesOf, startAgentTree } from './agent-tree';
import { HealthBoard } from './health-board';

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
  /** The running tree (tests reach into it to crash a worker). */
  readonly tree: Supervisor;
  /** Every supervision event of the tree from now on; returns unsubscribe. */
  onSupervisionEvent(listener: SupervisionListener): () => void;
  /**
   * Each source's link round-trip time in ms, where its device measures one (MAVFTP), asked of the
   * links now (for a scrape: nothing polls it in between). A link that is restarting is left out.
   */
  linkRoundTrips(): Promise<ReadonlyMap<string, number>>;
  /** Resolves if the tree gives up (restart intensity exceeded): the process should exit non-zero. */
  readonly gaveUp: Promise<string>;
  /** Stops the tree in reverse order (each worker at a chunk boundary), backs up, closes the catalog. */
  stop(): Promise<void>;
}

const HEALTH_POLL_MS = 1_000;
/**
 * Bound of the whole tree's stop: the groups stop one after another, each worker within its own
 * shutdown. It leaves `serve`'s 10 s bound 3 s for the last backup and the close, so that a slow stop
 * on a loaded machine still exits 0 (at 9 s, one `agentExit: failed` was seen in a chaos round).
 */
const TREE_SHUTDOWN_MS = 7_000;

/**
 * Opens the catalog (repairing it if damaged: start-up never fails on the store), then starts the
 * tree of ARCHITECTURE.md: root (one_for_one) over a rest_for_one group per source (link → finder →
 * downloader → cleaner) and per target (link → uploader); see `agent-tree.ts`.
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
  let gaveUp: (why: string) => void = () => undefined;
  const gaveUpPromise = new Promise<string>((resolve) => (gaveUp = resolve));
  const listeners = new Set<SupervisionListener>();
  const onEvent = (event: SupervisionEvent): void => {
    for (const listener of listeners) listener(event);
    if (event.type === 'sup.child-crashed') log.warn({ event }, `${event.child} crashed: ${describeExit(event.reason)}`);
    else if (event.type === 'sup.gave-up') {
      log.error({ event }, `supervisor ${event.path.join('/')} gave up`);
      // A group that gives up is restarted by the root; only the root giving up ends the agent.
      if (event.path.length === 1) gaveUp(`supervisor ${event.path.join('/')} gave up`);
    } else log.info({ event }, event.type);
  };
  // Every worker's log lines, written here: one file, one redaction list.
  const onActorLog = (line: ActorLogLine): void => log[line.level](line.obj, line.msg);
  const tree = await startAgentTree(config, { onEvent, onActorLog, actorDefaults: { startTimeoutMs: 60_000, askTimeoutMs: 10_000 } });

  // Health lives in the stage workers; it is polled so that status() stays a cheap synchronous read.
  const board = new HealthBoard();
  const pollHealth = async (): Promise<void> => {
    for (const [role, list] of [['source', config.sources], ['target', config.targets]] as const) {
      for (const { id } of list) {
        const group = tree.child(`${role}:${id}`);
        if (!(group instanceof Supervisor)) continue;
        const replies = [];
        for (const stage of stagesOf(role)) replies.push(await group.actor<StageActor>(stage)?.ask({ type: 'pipeline.health' }, { timeoutMs: 2_000 }).catch(() => undefined));
        board.report(role, id, replies);
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
  const snapshot = (): AgentStatus => ({ startedAt, counts: catalog.counts(), health: board.health, repair, tree: tree.snapshot() });
  // Kept from just before the catalog closes, for a last report after stop.
  let last: AgentStatus | undefined;
  log.info({ sources: config.sources.map((s) => s.id), targets: config.targets.map((t) => t.id) }, 'agent started');
  return {
    catalog,
    repair,
    tree,
    onSupervisionEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    gaveUp: gaveUpPromise,
    async linkRoundTrips() {
      const asked = config.sources.map(async ({ id }): Promise<[string, number | undefined]> => {
        const group = tree.child(`source:${id}`);
        if (!(group instanceof Supervisor)) return [id, undefined];
        return [id, await group.actor<LinkActor>('link')?.ask({ type: 'link.round-trip' }, { timeoutMs: 1_000 }).catch(() => undefined)];
      });
      return new Map((await Promise.all(asked)).filter((e): e is [string, number] => e[1] !== undefined));
    },
    status: () => (catalog.isOpen || last === undefined ? snapshot() : last),
    async stop() {
      clearInterval(backupTimer);
      clearInterval(healthTimer);
      await tree.shutdown(TREE_SHUTDOWN_MS);
      await catalog.backup().catch((err: unknown) => log.warn({ err: toErrorData(err) }, 'final catalog backup failed'));
      last = snapshot();
      catalog.close();
      log.info('agent stopped');
    },
  };
}
