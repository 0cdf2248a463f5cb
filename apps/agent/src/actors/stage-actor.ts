import { PermanentError, configIdOfSource } from '@filesync/core';
import type { Config } from '@filesync/core/config';
import { type ActorContext, type ActorDefinition, defineActor, guardMessage } from '@filesync/actors/actor';
import { createLocalStaging } from '@filesync/device-local';
import {
  type HealthSnapshot,
  LINK_CHANNEL,
  LinkClient,
  type LinkDescription,
  type PipelineLogger,
  Pipeline,
  type SignalBus,
  type SourceStage,
  createRemoteSourceProvider,
  createRemoteTarget,
  openSignalBus,
} from '@filesync/pipeline';
import { type Catalog, openCatalogForReading } from '@filesync/store';
import { parentLogger } from './parent-logger';

/**
 * One stage of a source or target group, in its own worker: the finder, downloader or cleaner of a
 * source, or the uploader of a target. It reaches its device only through the group's link (peer
 * `link`), the catalog through a connection of its own, and the other workers through the catalog
 * plus the signal bus's wake-ups.
 */
export type StageRole = 'finder' | 'downloader' | 'cleaner' | 'uploader';

export interface StageActorArgs {
  readonly config: Config;
  readonly role: StageRole;
  /** Config id of the source or target. */
  readonly id: string;
  /** The agent's signal bus (its data dir). */
  readonly bus: string;
}

export type StageMessage = { readonly type: 'pipeline.health' } | { readonly type: 'pipeline.wake' };

export interface StageReplies {
  /** Health of the device as this stage sees it (a drive's volumes by their source ids). */
  'pipeline.health': Record<string, HealthSnapshot>;
  'pipeline.wake': void;
}

export type StageActor = ActorDefinition<StageMessage, StageReplies, StageActorArgs>;

export const STAGE_ACTOR_MODULE = new URL('./stage-actor.ts', import.meta.url);

const STAGE_OF: Record<Exclude<StageRole, 'uploader'>, SourceStage> = { finder: 'find', downloader: 'download', cleaner: 'clean' };

interface Running {
  readonly catalog: Catalog;
  readonly bus: SignalBus;
  readonly log: PipelineLogger;
  readonly stopped: AbortController;
  pipeline: Pipeline | undefined;
  unsubscribe: (() => void) | undefined;
}

let running: Running | undefined;

/** Waits for the link's first description; the link may still be starting its device, or restarting. */
async function describe(client: LinkClient, signal: AbortSignal): Promise<LinkDescription> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.ask({ type: 'link.describe' });
    } catch (err) {
      if (signal.aborted) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }
}

/**
 * Builds the stage's loops once the link has said what it serves. Runs after `init`: the
 * supervisor hands out the link channel only once this worker has reported ready.
 */
async function boot(args: StageActorArgs, ctx: ActorContext, r: Running): Promise<void> {
  const { config, role, id } = args;
  // The stages' reads end in the staging's awaited writes or a hash: their chunks' buffers can go back to the link for reuse.
  const client = new LinkClient(ctx.peer(LINK_CHANNEL), undefined, { returnBuffers: true });
  const description = await describe(client, r.stopped.signal);
  if (r.stopped.signal.aborted) return;
  const staging = createLocalStaging(config.staging.dir ?? `${config.dataDir}/staging`);
  const bus = r.bus;
  const signals = {
    found: (sourceId: string) => bus.post({ type: 'signal.found', configId: configIdOfSource(sourceId) }),
    staged: (sourceId: string) => bus.post({ type: 'signal.staged', configId: configIdOfSource(sourceId) }),
    delivered: (file: { sourceId: string }) => bus.post({ type: 'signal.delivered', configId: configIdOfSource(file.sourceId) }),
  };
  let pipeline: Pipeline;
  if (role === 'uploader') {
    if (description.role !== 'target') throw new PermanentError('bad-request', `uploader of ${id} is linked to a source`);
    const target = createRemoteTarget(client, description.targetId, description.features);
    pipeline = new Pipeline({ config, catalog: r.catalog, staging, sources: [], targets: [target], log: r.log, signals });
    r.unsubscribe = bus.subscribe((signal) => {
      if (signal.type === 'signal.staged' || (signal.type === 'signal.link-changed' && signal.configId === id)) pipeline.wakeTargets();
    });
  } else {
    if (description.role !== 'source') throw new PermanentError('bad-request', `${role} of ${id} is linked to a target`);
    const source = createRemoteSourceProvider(client, description, bus);
    // Read from the store at each step, so a pause takes effect without a message and outlives this worker.
    const pausedRoutes = (): ReadonlySet<string> => new Set(r.catalog.pausedRoutes());
    pipeline = new Pipeline({ config, catalog: r.catalog, staging, sources: [source], targets: [], log: r.log, sourceStages: [STAGE_OF[role]], signals, pausedRoutes });
    const wakeOn = role === 'finder' ? 'signal.link-changed' : role === 'downloader' ? 'signal.found' : 'signal.delivered';
    r.unsubscribe = bus.subscribe((signal) => {
      if (signal.configId !== id) return;
      // The finder lists at once when its link came back or a volume was mounted.
      if (signal.type === wakeOn || signal.type === 'signal.link-changed') pipeline.wakeSources(id, role === 'finder');
    });
  }
  r.pipeline = pipeline;
  pipeline.start();
}

const stageActor: StageActor = defineActor<StageMessage, StageReplies, StageActorArgs>({
  init(args, ctx) {
    const { config, role, id } = args;
    const group = role === 'uploader' ? 'target' : 'source';
    const known = group === 'source' ? config.sources.some((s) => s.id === id) : config.targets.some((t) => t.id === id);
    if (!known) throw new PermanentError('bad-request', `no ${group} with id "${id}" in the config`);
    const log = parentLogger({ actor: `${group}:${id}/${role}` });
    // The agent opened (and, if needed, repaired) the catalog before starting the tree; this is one more connection.
    const catalog = openCatalogForReading(config.store.path ?? `${config.dataDir}/catalog.db`);
    const r: Running = { catalog, bus: openSignalBus(args.bus), log, stopped: new AbortController(), pipeline: undefined, unsubscribe: undefined };
    running = r;
    boot(args, ctx, r).catch((err: unknown) => {
      if (r.stopped.signal.aborted) return;
      // Nothing can go on without the loops: crash, and the supervisor restarts this worker.
      queueMicrotask(() => {
        throw err;
      });
    });
  },
  validate: (msg) => guardMessage<StageMessage>(msg, ['pipeline.health', 'pipeline.wake']),
  handlers: {
    'pipeline.health': () => {
      const health = running?.pipeline?.health();
      return { ...health?.sources, ...health?.targets };
    },
    'pipeline.wake': () => {
      running?.pipeline?.wakeTargets();
      running?.pipeline?.wakeSources();
    },
  },
  async stop() {
    const r = running;
    running = undefined;
    if (!r) return;
    r.stopped.abort();
    r.unsubscribe?.();
    await r.pipeline?.stop();
    r.bus.close();
    r.catalog.close();
  },
});

export default stageActor;
