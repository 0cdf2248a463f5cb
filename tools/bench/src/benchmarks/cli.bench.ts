import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { filesyncBin, repoFromArgs, startAgent, writeLocalConfig } from '../agent/agent-runs';
import { defineBenchmark } from '../benchmark';
import { median, ms } from '../stats';

/**
 * Wall time of the everyday commands, each a fresh `node apps/agent/bin/filesync.js` process, against
 * the catalog of an agent (one local source, one local target, 20 files) that is serving meanwhile.
 */
export default defineBenchmark({
  description: 'filesync status / ls / check-config: wall ms and CPU s per command (fresh process each, through /usr/bin/time), median of N runs, beside a serving agent. Args: [runs] [--repo DIR]',
  async run({ tiny, args, log }) {
    const repo = repoFromArgs(args);
    const runs = tiny ? 1 : Number(/^\d+$/.test(args[0] ?? '') ? args[0] : 5);
    const dir = await mkdtemp(join(tmpdir(), 'fs-bench-cli-'));
    const agent = startAgent(repo, ['serve', '--config', (await writeLocalConfig(dir, 'one-to-one', 20)).configFile]);
    try {
      await agent.served;
      const configFile = join(dir, 'config.json');
      const commands: Record<string, string[]> = {
        status: ['status', '--config', configFile],
        ls: ['ls', '--config', configFile],
        checkConfig: ['check-config', configFile],
      };
      const figures: Record<string, number | string> = { repo, runs };
      for (const [name, argv] of Object.entries(commands)) {
        const walls: number[] = [];
        const cpus: number[] = [];
        for (let i = 0; i < runs; i++) {
          const started = performance.now();
          // GNU time prints the command's user + system CPU last on stderr: on a loaded machine that is the steadier figure.
          const { stderr } = await promisify(execFile)('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, filesyncBin(repo), ...argv], { cwd: repo, timeout: 60_000 });
          walls.push(performance.now() - started);
          const cpu = /cpu (\S+) (\S+)\s*$/.exec(stderr);
          if (cpu) cpus.push(Number(cpu[1]) + Number(cpu[2]));
        }
        figures[`${name}MedianMs`] = ms(median(walls));
        figures[`${name}MaxMs`] = ms(Math.max(...walls));
        figures[`${name}MedianCpuS`] = Math.round(median(cpus) * 100) / 100;
        log(`${name}: ${walls.map((w) => Math.round(w)).join(', ')} ms; ${cpus.join(', ')} s CPU`);
      }
      return figures;
    } finally {
      await agent.kill();
      await rm(dir, { recursive: true, force: true });
    }
  },
});
