import type { Config } from '@filesync/core/config';
import { type ActorResourceLimits, type ChildSpec, type Supervisor, type SupervisorOptions, type SupervisorSpec, startSupervisor } from '@filesync/actors';
import { LINK_ACTOR_MODULE, type LinkArgs } from '@filesync/pipeline';
import { STAGE_ACTOR_MODULE, type StageActorArgs, type StageRole } from './actors/stage-actor';

/** How long each worker may take to stop (a downloader at its next chunk boundary) before it is terminated. */
export const WORKER_SHUTDOWN_MS = 5_000;

/** A group gives up after this many restarts in its period; the root then restarts the whole group. */
const GROUP_INTENSITY = 5;
const GROUP_PERIOD_MS = 60_000;

/**
 * Every actor thread's V8 heap limits. A worker's heap grows to what it needs (a few MB for a stage);
 * the cap makes a runaway actor die with ERR_WORKER_OUT_OF_MEMORY and restart from the catalog instead
 * of taking a 512 MB board down with it. File bytes live in Buffers, outside these limits.
 */
export const ACTOR_RESOURCE_LIMITS: ActorResourceLimits = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 4 };

const SOURCE_STAGES: readonly StageRole[] = ['finder', 'downloader', 'cleaner'];
const TARGET_STAGES: readonly StageRole[] = ['uploader'];

export function stagesOf(role: 'source' | 'target'): readonly StageRole[] {
  return role === 'source' ? SOURCE_STAGES : TARGET_STAGES;
}

/**
 * The agent's tree as data (ARCHITECTURE.md, "Actors and supervision"):
 *
 *     root (one_for_one)
 *     ├─ source:<id>  (rest_for_one)  link → finder → downloader → cleaner
 *     └─ target:<id>  (rest_for_one)  link → uploader
 *
 * The link alone owns the device; the stages after it reach it over the `link` channel. A crashed
 * link takes the stages after it down with it (their open reads and writes died with it), and they
 * come back from the catalog's durable offsets; a crashed stage restarts alone with those after it.
 * Nested intensities multiply, so the root's stays low.
 */
export function agentTree(config: Config): SupervisorSpec {
  const bus = config.dataDir;
  const group = (role: 'source' | 'target', device: Config['sources'][number] | Config['targets'][number]): ChildSpec => ({
    id: `${role}:${device.id}`,
    // Each of its workers is bounded by its own shutdown; this bounds the group as a whole.
    shutdown: WORKER_SHUTDOWN_MS + 1_000,
    supervisor: {
      id: `${role}:${device.id}`,
      strategy: 'rest_for_one',
      intensity: GROUP_INTENSITY,
      periodMs: GROUP_PERIOD_MS,
      children: [
        { id: 'link', shutdown: WORKER_SHUTDOWN_MS, actor: { module: LINK_ACTOR_MODULE, args: { role, device, dataDir: config.dataDir, storePath: config.store.path ?? `${config.dataDir}/catalog.db`, bus } satisfies LinkArgs, resourceLimits: ACTOR_RESOURCE_LIMITS } },
        ...stagesOf(role).map(
          (stage): ChildSpec => ({
            id: stage,
            shutdown: WORKER_SHUTDOWN_MS,
            actor: {
              module: STAGE_ACTOR_MODULE,
              args: { config, role: stage, id: device.id, bus } satisfies StageActorArgs,
              peers: { link: 'link' },
              resourceLimits: ACTOR_RESOURCE_LIMITS,
            },
          }),
        ),
      ],
    },
  });
  return {
    id: 'root',
    strategy: 'one_for_one',
    intensity: 10,
    periodMs: 60_000,
    children: [...config.sources.map((s) => group('source', s)), ...config.targets.map((t) => group('target', t))],
  };
}

/** Starts the tree exactly as `agentTree` describes it: the running tree is the child-spec data. */
export function startAgentTree(config: Config, options: SupervisorOptions): Promise<Supervisor> {
  return startSupervisor(agentTree(config), options);
}
