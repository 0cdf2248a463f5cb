import { type Clock, systemClock } from '@filesync/core';
import type { SupervisorSpec } from './child-spec';
import { type CpuPool, type CpuPoolOptions, createCpuPool } from './cpu-pool';
import type { SupervisionListener } from './supervision-events';
import { type ActorTimings, startSupervisor, type Supervisor } from './supervisor';

export interface ActorSystemOptions {
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly actorDefaults?: ActorTimings;
  readonly pool?: CpuPoolOptions;
  /** Receives the events of every tree the system starts, start events included. */
  readonly onEvent?: SupervisionListener;
}

/** The runtime of one process: its supervision trees and the CPU pool, stopped together. */
export interface ActorSystem {
  readonly clock: Clock;
  readonly pool: CpuPool;
  /** Starts a root tree (validated whole first); `shutdown` stops it. */
  start(spec: SupervisorSpec): Promise<Supervisor>;
  /** Stops the trees, last started first, then the pool. No thread of the system is left after. */
  shutdown(): Promise<void>;
}

export function createActorSystem(options: ActorSystemOptions = {}): ActorSystem {
  const clock = options.clock ?? systemClock;
  const pool = createCpuPool(options.pool);
  const trees: Supervisor[] = [];
  let down: Promise<void> | undefined;
  return {
    clock,
    pool,
    async start(spec) {
      if (down) throw new Error('the actor system is shut down');
      const tree = await startSupervisor(spec, {
        clock,
        ...(options.random ? { random: options.random } : {}),
        ...(options.actorDefaults ? { actorDefaults: options.actorDefaults } : {}),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      });
      trees.push(tree);
      return tree;
    },
    shutdown() {
      down ??= (async () => {
        for (const tree of trees.splice(0).reverse()) await tree.stop();
        await pool.destroy();
      })();
      return down;
    },
  };
}
