import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Catalog, openCatalogForReading } from '@filesync/store';
import { type RunningAgent, cpuSeconds, startAgent } from '../../agent/agent-runs';
import type { BenchS3Server } from './s3-server';

/** The agent's source id: its default target path is `{source}/{path}`. */
const SOURCE_ID = 'src';

/** The object key the agent gives `path` of its source under `prefix`. */
export function agentKey(prefix: string, path: string): string {
  return `${prefix}${SOURCE_ID}/${path}`;
}

export interface S3AgentWorld {
  readonly configFile: string;
  readonly catalogPath: string;
}

/**
 * One local source (`sourceDir`, files left in place) routed to one S3 target on `server` under
 * `prefix`, everything else at the agent's defaults (8 MiB parts from 16 MiB, staging, catalog).
 * `settleSec: 0`: the files are complete before the agent starts, so waiting for them to settle
 * would only delay the start of the upload, which is not what is measured. `tuning`: the target's parts
 * in flight and files at once, each left out (the agent's default) unless given, so that a base commit
 * without the field still takes the config.
 */
export async function writeS3AgentConfig(
  dir: string,
  sourceDir: string,
  server: BenchS3Server,
  bucket: string,
  prefix: string,
  tuning: { readonly partConcurrency?: number | undefined; readonly transfers?: number | undefined } = {},
): Promise<S3AgentWorld> {
  await mkdir(join(dir, 'data'), { recursive: true });
  const config = {
    dataDir: join(dir, 'data'),
    status: false,
    log: { file: join(dir, 'data', 'logs', 'filesync.log') },
    sources: [{ id: SOURCE_ID, type: 'local', dir: sourceDir, pollIntervalSec: 1, settleSec: 0 }],
    targets: [
      {
        id: 's3',
        type: 's3',
        endpoint: server.endpoint,
        region: server.region,
        bucket,
        prefix,
        accessKeyId: server.accessKeyId,
        secretAccessKey: server.secretAccessKey,
        ...(tuning.partConcurrency === undefined ? {} : { partConcurrency: tuning.partConcurrency }),
        ...(tuning.transfers === undefined ? {} : { transfers: tuning.transfers }),
      },
    ],
    routes: [{ source: SOURCE_ID, targets: ['s3'] }],
  };
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(config));
  return { configFile, catalogPath: join(dir, 'data', 'catalog.db') };
}

export function startS3Agent(repo: string, world: S3AgentWorld): RunningAgent {
  return startAgent(repo, ['serve', '--config', world.configFile]);
}

/** Opens the agent's catalog beside it once the agent has made it. */
async function catalogOf(world: S3AgentWorld, agent: RunningAgent, deadline: number): Promise<Catalog> {
  for (;;) {
    try {
      return openCatalogForReading(world.catalogPath);
    } catch (err) {
      if (agent.child.exitCode !== null || agent.child.signalCode !== null) throw new Error('the agent ended before it made its catalog');
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

/** Waits until the catalog has `files` files delivered (fails on a failed file, an ended agent or the deadline); returns the agent's CPU seconds then. */
export async function waitDelivered(world: S3AgentWorld, agent: RunningAgent, files: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  const catalog = await catalogOf(world, agent, deadline);
  try {
    for (;;) {
      const counts = catalog.counts().files;
      if (counts.delivered >= files) return cpuSeconds(agent.pid);
      if (counts.failed > 0) throw new Error(`${counts.failed} file(s) failed: ${JSON.stringify(catalog.listFiles({ state: 'failed' }).slice(0, 3).map((f) => f.reason))}`);
      if (agent.child.exitCode !== null || agent.child.signalCode !== null) throw new Error(`the agent ended with ${counts.delivered} of ${files} files delivered`);
      if (Date.now() > deadline) throw new Error(`${counts.delivered} of ${files} files delivered after ${timeoutMs / 1000} s`);
      // Polled at 4 Hz: the times come from the catalog's own event stamps, not from this loop.
      await sleep(250);
    }
  } finally {
    catalog.close();
  }
}

export interface AgentTimes {
  /**
   * Seconds from the first file `staged` (from then on the uploader has work) to the last file `delivered`:
   * the upload as the catalog saw it. Not from the first `uploading` row: a file sent within one progress
   * interval to a target that resumes never has one.
   */
  readonly uploadSec: number;
  /** Seconds from the first file found to the last delivered: staging included. */
  readonly foundToDeliveredSec: number;
  /** Seconds from the first file found to the last one staged. */
  readonly stagingSec: number;
}

/** The times of a finished run, from the catalog's history (ms stamps written in the transitions' own transactions). */
export function agentTimes(world: S3AgentWorld): AgentTimes {
  const catalog = openCatalogForReading(world.catalogPath);
  try {
    let found = Infinity;
    let firstStaged = Infinity;
    let lastStaged = -Infinity;
    let lastDelivered = -Infinity;
    for (const e of catalog.history()) {
      if (e.kind === 'file.found') found = Math.min(found, e.at);
      else if (e.kind === 'file.state' && e.toState === 'staged') {
        firstStaged = Math.min(firstStaged, e.at);
        lastStaged = Math.max(lastStaged, e.at);
      }
      else if (e.kind === 'file.state' && e.toState === 'delivered') lastDelivered = Math.max(lastDelivered, e.at);
    }
    return {
      uploadSec: (lastDelivered - firstStaged) / 1000,
      foundToDeliveredSec: (lastDelivered - found) / 1000,
      stagingSec: (lastStaged - found) / 1000,
    };
  } finally {
    catalog.close();
  }
}
