import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT, type RunningSimulator, type SimulatorName, startSimulator } from '@filesync/core';
import { loadConfig } from '@filesync/core/config';
import type { AgentStatus } from '../agent';
import type { CliIo } from '../cli-io';
import { demoConfig } from '../demo/demo-config';

import { runAgent } from './serve';

export interface DemoOptions {
  /** Where the demo keeps its simulators, catalog and staging; wiped at start. Default `tmp/demo`. */
  readonly dir?: string;
  readonly statusPort?: number;
  readonly durationSec?: number;
}

/**
 * `filesync demo` (`npm start`): all simulators, a generated config, and the agent moving files from
 * the simulated PX4, flash drive and FTP camera to the simulated FTP server and Flight Review.
 */
export async function demo(options: DemoOptions, io: CliIo): Promise<number> {
  const dir = options.dir ?? join(REPO_ROOT, 'tmp', 'demo');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  io.out(`filesync demo: starting simulators in ${dir} …`);
  const sims: RunningSimulator[] = [];
  try {
    const sim = async (name: SimulatorName, args: string[]): Promise<RunningSimulator> => {
      const s = await startSimulator(name, args);
      sims.push(s);
      return s;
    };
    const [px4, flash, camera, nas, review] = await Promise.all([
      sim('px4', ['--port', '0', '--root', join(dir, 'sim', 'px4')]),
      sim('flash', ['--root', join(dir, 'sim', 'flash')]),
      sim('ftp', ['--port', '0', '--root', join(dir, 'sim', 'camera')]),
      sim('ftp', ['--port', '0', '--root', join(dir, 'sim', 'nas'), '--no-seed']),
      sim('flight-review', ['--port', '0', '--root', join(dir, 'sim', 'flight-review')]),
    ]);
    const config = demoConfig(
      dir,
      {
        px4Udp: String(px4.ready['udp']),
        flash: { mountTable: String(flash.ready['mountTable']), diskDir: String(flash.ready['diskDir']), uuid: String(flash.ready['uuid']) },
        cameraFtp: String(camera.ready['ftp']),
        nasFtp: String(nas.ready['ftp']),
        flightReview: String(review.ready['http']),
      },
      options.statusPort ?? 8080,
    );
    const configFile = join(dir, 'config.json');
    await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
    io.out(`filesync demo: simulators ready; config in ${configFile}; \`npx filesync status --config ${configFile}\` shows progress from another terminal`);
    const progress = changedLines(io);
    return await runAgent(loadConfig(configFile), configFile, io, {
      ...(options.durationSec === undefined ? {} : { durationMs: options.durationSec * 1000 }),
      onTick: (status) => progress.show(progressLine(status)),
    });
  } finally {
    await Promise.all(sims.map((s) => s.stop()));
  }
}

/**
 * Prints a progress line only when it differs from the last one, with the time: a terminal left
 * open for an hour tells what happened and when, not the same counts every 2 s.
 */
export function changedLines(io: CliIo): { show(line: string): void } {
  let last: string | undefined;
  return {
    show(line) {
      if (line === last) return;
      last = line;
      io.out(`${new Date().toISOString().slice(11, 19)} ${line}`);
    },
  };
}

export function progressLine(status: AgentStatus): string {
  const f = status.counts.files;
  const total = Object.values(f).reduce((a, b) => a + b, 0);
  const targets = Object.entries(status.counts.byTarget)
    .map(([id, c]) => `${id} ${c.uploaded}`)
    .join(', ');
  const down = Object.entries({ ...status.health.sources, ...status.health.targets })
    .filter(([, h]) => h.state !== 'up')
    .map(([id, h]) => `${id} ${h.state}${h.cause ? ` (${h.cause.message})` : ''}`);
  return `files ${total}: delivered ${f.delivered + f.removed}, staged ${f.staged}, downloading ${f.downloading}, found ${f.found}, failed ${f.failed} | uploaded: ${targets}${down.length ? ` | ${down.join('; ')}` : ''}`;
}
