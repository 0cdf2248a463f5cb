import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { actorThreads, deployEnvironment, memory, numberArg, repoFromArgs, type RunningAgent, startAgent, writeLocalConfig } from '../agent/agent-runs';
import { defineBenchmark, type Figures } from '../benchmark';
import { fillDeliveredCatalog } from '../catalog-fill';

/** A bare Node process with `workers` idle worker threads: the memory floor of a tree of that many actors. */
async function floorProcess(workers: number, env: Record<string, string> = {}): Promise<{ pid: number; stop(): void }> {
  const script = `const { Worker } = require('node:worker_threads');
for (let i = 0; i < ${workers}; i++) new Worker('setInterval(() => {}, 1000)', { eval: true });
setTimeout(() => console.log('ready'), 500); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`floor process exited (${code})`)));
  });
  return { pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

/** Samples `pid` at `atS` seconds after `since` (ms, performance.now()), in order. */
async function sampleAt(pid: number, since: number, atS: readonly number[], log: (m: string) => void, what: string): Promise<{ rssMiB: number; threads: number }[]> {
  const samples = [];
  for (const s of atS) {
    await sleep(Math.max(0, since + s * 1000 - performance.now()));
    const m = memory(pid);
    log(`${what} at ${s} s: ${m.rssMiB} MiB RSS, ${m.threads} threads`);
    samples.push(m);
  }
  return samples;
}

export default defineBenchmark({
  description:
    "filesync agent memory: RSS and OS threads of the agent on the demo (npm start: 3 sources, 2 targets, simulators) and on one local source + one local target, at --duration/5 and --duration s (default 60 and 300) after serving, against a bare Node process with as many idle worker threads as the tree has actors (the floor). The agent runs with its systemd unit's Environment= (deploy/filesync.service: the allocator's settings); the floor is plain Node, and is sampled again under that environment (FloorDeployEnv). Args: [--duration S] [--catalog-files N: the one-to-one agent's catalog holds N delivered files, as after months of work] [--repo DIR]",
  async run({ tiny, args, log }) {
    const repo = repoFromArgs(args);
    const duration = tiny ? 10 : numberArg(args, '--duration', 300);
    // An agent that has moved this many files: its catalog holds them (one-to-one only).
    const catalogFiles = tiny || !args.includes('--catalog-files') ? 0 : numberArg(args, '--catalog-files', 0);
    const atS = [duration / 5, duration];
    const dir = await mkdtemp(join(tmpdir(), 'fs-bench-footprint-'));
    const env = deployEnvironment(repo);
    const figures: Record<string, number | string> = {
      repo,
      sampledAtS: atS.join(','),
      catalogFiles,
      deployEnv: Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    };
    try {
      const runs: { name: string; actors: number; start: () => Promise<RunningAgent> }[] = [
        // The demo's agent runs inside the `demo` process; its simulators are child processes, not counted.
        { name: 'demo', actors: actorThreads(3, 2), start: async () => startAgent(repo, ['demo', '--dir', join(dir, 'demo'), '--status-port', '0'], env) },
        {
          name: 'oneToOne',
          actors: actorThreads(1, 1),
          start: async () => {
            const { configFile } = await writeLocalConfig(join(dir, 'one'), 'one-to-one', 20);
            if (catalogFiles > 0) fillDeliveredCatalog(join(dir, 'one', 'data', 'catalog.db'), catalogFiles, 'a', 't');
            return startAgent(repo, ['serve', '--config', configFile], env);
          },
        },
      ];
      for (const run of runs) {
        const agent = await run.start();
        let samples;
        try {
          await agent.served;
          samples = await sampleAt(agent.pid, performance.now(), atS, log, run.name);
        } finally {
          await agent.kill();
        }
        const floorOf = async (floorEnv: Record<string, string>, what: string): Promise<{ rssMiB: number; threads: number }> => {
          const floor = await floorProcess(run.actors, floorEnv);
          try {
            return (await sampleAt(floor.pid, performance.now(), [tiny ? 2 : 10], log, `floor (${run.actors} idle workers${what})`))[0]!;
          } finally {
            floor.stop();
          }
        };
        const floorSample = await floorOf({}, '');
        const floorDeployEnv = Object.keys(env).length > 0 ? await floorOf(env, ', deploy environment') : floorSample;
        const [first, last] = [samples[0]!, samples[1]!];
        Object.assign(figures, {
          [`${run.name}Actors`]: run.actors,
          [`${run.name}RssMiBFirst`]: first.rssMiB,
          [`${run.name}RssMiBLast`]: last.rssMiB,
          [`${run.name}ThreadsFirst`]: first.threads,
          [`${run.name}ThreadsLast`]: last.threads,
          [`${run.name}FloorRssMiB`]: floorSample.rssMiB,
          [`${run.name}FloorThreads`]: floorSample.threads,
          [`${run.name}FloorDeployEnvRssMiB`]: floorDeployEnv.rssMiB,
          [`${run.name}RssOverFloor`]: Math.round((last.rssMiB / floorSample.rssMiB) * 100) / 100,
          [`${run.name}GrowthPct`]: Math.round((last.rssMiB / first.rssMiB - 1) * 1000) / 10,
        } satisfies Figures);
      }
      return figures;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
