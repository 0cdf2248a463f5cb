import type { Config } from '@filesync/core';
import { type ChildSpec, type Supervised, Supervisor, type SupervisorOptions, type SupervisorSpec, startSupervisor } from '@filesync/actors';
import { LINK_ACTOR_MODULE, type LinkArgs } from '@filesync/pipeline';
import { STAGE_ACTOR_MODULE, type StageActorArgs, type StageRole } from './actors/stage-actor';

/** How long each worker may take to stop (a downloader at its next chunk boundary) before it is terminated. */
export const WORKER_SHUTDOWN_MS = 5_000;

/** A group gives up after this many restarts in its period; the root then restarts the whole group. */
const GROUP_INTENSITY = 5;
const GROUP_PERIOD_MS = 60_000;

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
        { id: 'link', shutdown: WORKER_SHUTDOWN_MS, actor: { module: LINK_ACTOR_MODULE, args: { role, device, dataDir: config.dataDir, bus } satisfies LinkArgs } },
        ...stagesOf(role).map(
          (stage): ChildSpec => ({
            id: stage,
            shutdown: WORKER_SHUTDOWN_MS,
            actor: { module: STAGE_ACTOR_MODULE, args: { config, role: stage, id: device.id, bus } satisfies StageActorArgs, peers: { link: 'link' } },
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

/**
 * Starts the tree with its groups' first start side by side: the groups are independent (the root is
 * one_for_one), and started one after another the agent would wait for every worker thread in turn
 * (each loads tsx and its modules: about a third of a second of CPU). The root then adopts the
 * running groups; a group it restarts later is started afresh from the same spec. If a group fails
 * to start, those that started are stopped and the error names it, as `startSupervisor` does.
 */
export async function startAgentTree(config: Config, options: SupervisorOptions): Promise<Supervisor> {
  const spec = agentTree(config);
  const groupOptions: SupervisorOptions = { ...options, parentPath: [spec.id] };
  const groups = spec.children.map((child) => {
    if (!('supervisor' in child)) throw new Error(`root child ${child.id} is not a group`);
    return { child, group: child.supervisor };
  });
  const started = await Promise.allSettled(groups.map(({ group }) => startSupervisor(group, groupOptions)));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw failed.reason;
  }
  const first = new Map(groups.map(({ child }, i) => [child.id, (started[i] as PromiseFulfilledResult<Supervisor>).value]));
  return startSupervisor(
    {
      ...spec,
      children: groups.map(({ child, group }) => ({
        id: child.id,
        ...(child.shutdown === undefined ? {} : { shutdown: child.shutdown }),
        start: async (): Promise<Supervised> => {
          const running = first.get(child.id);
          first.delete(child.id);
          return running ?? startSupervisor(group, groupOptions);
        },
      })),
    },
    options,
  );
}
