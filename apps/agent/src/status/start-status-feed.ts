import type { Config } from '@filesync/core/config';
import { openSignalBus } from '@filesync/pipeline';
import type { Agent } from '../agent';
import { StatusFeed } from './status-feed';

/** The feed of a running agent: its catalog and status, and the agent's signal bus (named by its data dir) to wake workers after an action. */
export function startStatusFeed(config: Config, agent: Agent): StatusFeed {
  const bus = openSignalBus(config.dataDir);
  return new StatusFeed({ catalog: agent.catalog, config, status: () => agent.status(), wake: (signal) => bus.post(signal), close: () => bus.close() });
}
