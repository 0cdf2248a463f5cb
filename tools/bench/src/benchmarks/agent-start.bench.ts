import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoFromArgs, startAgent, writeLocalConfig } from '../agent/agent-runs';
import { defineBenchmark } from '../benchmark';
import { median, ms, percentile } from '../stats';

export default defineBenchmark({
  description:
    'filesync serve: time from spawn to "filesync: serving" and the process CPU (every thread) spent by then, for the demo topology (3 sources, 2 targets) on local directories; fresh data dir each start. Args: [starts] [--repo DIR]',
  async run({ tiny, args, log }) {
    const repo = repoFromArgs(args);
    const starts = tiny ? 1 : Number(/^\d+$/.test(args[0] ?? '') ? args[0] : 5);
    const dir = await mkdtemp(join(tmpdir(), 'fs-bench-start-'));
    try {
      const { configFile } = await writeLocalConfig(dir, 'demo');
      const walls: number[] = [];
      const cpus: number[] = [];
      for (let i = 0; i < starts; i++) {
        await rm(join(dir, 'data'), { recursive: true, force: true });
        const agent = startAgent(repo, ['serve', '--config', configFile]);
        try {
          const { wallMs, cpuS } = await agent.served;
          walls.push(wallMs);
          if (cpuS !== undefined) cpus.push(cpuS);
          log(`start ${i + 1}/${starts}: ${Math.round(wallMs)} ms, ${cpuS ?? '?'} s CPU`);
        } finally {
          // A power cut, as the chaos suite does it: the time to serve is what is measured, not the stop.
          process.kill(-agent.pid, 'SIGKILL');
          await agent.kill();
        }
      }
      return {
        repo,
        starts,
        medianMs: ms(median(walls)),
        p90Ms: ms(percentile(walls, 90)),
        minMs: ms(Math.min(...walls)),
        medianCpuS: cpus.length > 0 ? median(cpus) : Number.NaN,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
