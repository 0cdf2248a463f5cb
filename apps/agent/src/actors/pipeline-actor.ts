import { basename, dirname, extname, join } from 'node:path';
import { type Config, PermanentError } from '@filesync/core';
import { type ActorDefinition, defineActor, guardMessage } from '@filesync/actors/actor';
import { createLocalStaging } from '@filesync/device-local';
import { type HealthSnapshot, Pipeline } from '@filesync/pipeline';
import { type Catalog, openCatalogForReading } from '@filesync/store';
import { createSource, createTarget } from '../devices';
import { createLogger } from '../logging';

/**
 * One worker of the agent's tree: the loops of one source (device, finder, downloader, cleaner) or
 * of one target (device, uploader), in its own thread. A hung driver or a crash takes down only
 * this thread; its supervisor restarts it and it resumes from the catalog.
 */
export interface PipelineActorArgs {
  readonly config: Config;
  readonly role: 'source' | 'target';
  /** Config id of the source or target. */
  readonly id: string;
}

export type PipelineMessage = { readonly type: 'pipeline.health' } | { readonly type: 'pipeline.wake' };

export interface PipelineReplies {
  /** Health per device (a drive's volumes by their source ids). */
  'pipeline.health': Record<string, HealthSnapshot>;
  'pipeline.wake': void;
}

export type PipelineActor = ActorDefinition<PipelineMessage, PipelineReplies, PipelineActorArgs>;

export const PIPELINE_ACTOR_MODULE = new URL('./pipeline-actor.ts', import.meta.url);

let running: { pipeline: Pipeline; catalog: Catalog; close: () => Promise<void> } | undefined;

/** Each worker logs to its own size-rotated file beside the agent's (`filesync-source-px4.log`). */
function workerLogFile(config: Config, role: string, id: string): string | undefined {
  const file = config.log.file;
  if (file === undefined || file === '-') return file;
  const ext = extname(file) || '.log';
  return join(dirname(file), `${basename(file, ext)}-${role}-${id}${ext}`);
}

const pipelineActor: PipelineActor = defineActor<PipelineMessage, PipelineReplies, PipelineActorArgs>({
  init(args) {
    const { config, role, id } = args;
    const logFile = workerLogFile(config, role, id);
    const log = createLogger({ ...config, log: { ...config.log, ...(logFile === undefined ? {} : { file: logFile }) } }).child({ actor: `${role}:${id}` });
    // The agent opened (and, if needed, repaired) the catalog before starting the tree; this is a second connection.
    const catalog = openCatalogForReading(config.store.path ?? `${config.dataDir}/catalog.db`);
    const staging = createLocalStaging(config.staging.dir ?? `${config.dataDir}/staging`);
    const sourceConfig = role === 'source' ? config.sources.find((s) => s.id === id) : undefined;
    const targetConfig = role === 'target' ? config.targets.find((t) => t.id === id) : undefined;
    if (!sourceConfig && !targetConfig) throw new PermanentError('bad-request', `no ${role} with id "${id}" in the config`);
    const sources = sourceConfig ? [createSource(sourceConfig)] : [];
    const targets = targetConfig ? [createTarget(targetConfig, config.dataDir)] : [];
    const pipeline = new Pipeline({ config, catalog, staging, sources, targets, log });
    pipeline.start();
    running = {
      pipeline,
      catalog,
      async close() {
        await pipeline.stop();
        await Promise.all([...sources, ...targets].map((d) => d.close().catch(() => undefined)));
        catalog.close();
        log.flush?.();
      },
    };
  },
  validate: (msg) => guardMessage<PipelineMessage>(msg, ['pipeline.health', 'pipeline.wake']),
  handlers: {
    'pipeline.health': () => {
      const health = running?.pipeline.health();
      return { ...health?.sources, ...health?.targets };
    },
    'pipeline.wake': () => {
      running?.pipeline.wakeTargets();
      for (const s of running?.pipeline.sources.values() ?? []) s.wake();
    },
  },
  async stop() {
    await running?.close();
    running = undefined;
  },
});

export default pipelineActor;
