import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineBenchmark } from '../benchmark';
import { median, ms, percentile } from '../stats';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const FILESYNC = join(REPO_ROOT, 'apps/agent/bin/filesync.js');
/** Linux reports a process's CPU time in clock ticks of 1/100 s (`getconf CLK_TCK`). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, every thread) of a live process, from /proc; undefined elsewhere. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    // After the command name: state is field 3, utime 14 and stime 15 (1-based, see proc(5)).
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Starts `filesync serve` and resolves at its "serving" line with the wall time and the CPU it used, then kills it. */
function startOnce(configFile: string): Promise<{ wallMs: number; cpuS: number | undefined }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [FILESYNC, 'serve', '--config', configFile], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`filesync serve printed no "serving" line within 120 s: ${out}`));
    }, 120_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('filesync: serving')) return;
      const wallMs = performance.now() - started;
      const cpuS = child.pid === undefined ? undefined : cpuSeconds(child.pid);
      clearTimeout(timer);
      child.once('exit', () => resolve({ wallMs, cpuS }));
      // A power cut, as the chaos suite does it: the time to serve is what is measured, not the stop.
      child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
  });
}

export default defineBenchmark({
  description:
    'filesync serve: time from spawn to "filesync: serving" and the process CPU (every thread) spent by then, for the demo topology (3 sources, 2 targets) on local directories; fresh data dir each start',
  async run({ tiny, args, log }) {
    const starts = tiny ? 1 : Number(args[0] ?? 5);
    const dir = await mkdtemp(join(tmpdir(), 'fs-bench-start-'));
    try {
      for (const d of ['src', 'dst', 'dst2']) await mkdir(join(dir, d));
      await writeFile(join(dir, 'src', 'a.bin'), 'a');
      const config = {
        dataDir: join(dir, 'data'),
        status: { host: '127.0.0.1', port: 0 },
        log: { file: join(dir, 'data', 'logs', 'filesync.log') },
        sources: ['a', 'b', 'c'].map((id) => ({ id, type: 'local', dir: join(dir, 'src') })),
        targets: [
          { id: 't', type: 'local', dir: join(dir, 'dst') },
          { id: 'u', type: 'local', dir: join(dir, 'dst2') },
        ],
        routes: [
          { source: 'a', targets: ['t', 'u'] },
          { source: 'b', targets: ['t'] },
          { source: 'c', targets: ['u'] },
        ],
      };
      const configFile = join(dir, 'config.json');
      await writeFile(configFile, JSON.stringify(config));
      const walls: number[] = [];
      const cpus: number[] = [];
      for (let i = 0; i < starts; i++) {
        await rm(join(dir, 'data'), { recursive: true, force: true });
        const { wallMs, cpuS } = await startOnce(configFile);
        walls.push(wallMs);
        if (cpuS !== undefined) cpus.push(cpuS);
        log(`start ${i + 1}/${starts}: ${Math.round(wallMs)} ms, ${cpuS ?? '?'} s CPU`);
      }
      return {
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
