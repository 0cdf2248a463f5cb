import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout whose agent the benchmarks start: this one, or `--repo DIR` (e.g. the base commit, for a before/after). */
export function repoFromArgs(args: readonly string[]): string {
  const i = args.indexOf('--repo');
  return i >= 0 && args[i + 1] ? resolve(args[i + 1]!) : fileURLToPath(new URL('../../../../', import.meta.url));
}

export function numberArg(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${args[i + 1]}"`);
  return value;
}

/**
 * The variables the checkout's systemd unit sets (`Environment=` lines of deploy/filesync.service,
 * unquoted `KEY=value` words): what the agent runs with when deployed, e.g. glibc's malloc settings.
 * None for a checkout whose unit sets none.
 */
export function deployEnvironment(repo: string): Record<string, string> {
  let unit: string;
  try {
    unit = readFileSync(join(repo, 'deploy/filesync.service'), 'utf8');
  } catch {
    return {};
  }
  const env: Record<string, string> = {};
  for (const line of unit.split('\n')) {
    if (!line.startsWith('Environment=')) continue;
    for (const word of line.slice('Environment='.length).trim().split(/\s+/)) {
      const eq = word.indexOf('=');
      if (eq > 0) env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return env;
}

export function filesyncBin(repo: string): string {
  return join(repo, 'apps/agent/bin/filesync.js');
}

/** Linux reports a process's CPU time in clock ticks of 1/100 s (`getconf CLK_TCK`). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, every thread) of a live process, from /proc; undefined elsewhere. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    // After the command name: state is field 3, utime 14 and stime 15 (1-based, see proc(5)).
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * A byte counter of a live process from /proc/<pid>/io, every thread: `rchar`, what it read through
 * read(2) and its kin (page-cache hits too: how often it reads a file, whatever the cache holds);
 * `write_bytes`, what it sent to the disk (pages it dirtied, whole). Undefined elsewhere.
 */
export function ioBytes(pid: number | 'self', counter: 'rchar' | 'write_bytes'): number | undefined {
  try {
    const value = new RegExp(`^${counter}: (\\d+)$`, 'm').exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1];
    return value === undefined ? undefined : Number(value);
  } catch {
    return undefined;
  }
}

/** Resident memory (MiB) and OS threads of a live process, from /proc/<pid>/status. */
export function memory(pid: number): { rssMiB: number; threads: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: Math.round(field('VmRSS') / 102.4) / 10, threads: field('Threads') };
}

export type Topology = 'demo' | 'one-to-one';

/** Actor threads of a topology's tree: a source group has 4 workers (link, finder, downloader, cleaner), a target group 2. */
export function actorThreads(sources: number, targets: number): number {
  return sources * 4 + targets * 2;
}

/**
 * A config on local directories: `demo` has the demo's shape (3 sources, 2 targets, the same routes),
 * `one-to-one` one source and one target. `files` small files wait in the source directory.
 */
export async function writeLocalConfig(dir: string, topology: Topology, files = 1): Promise<{ configFile: string; sources: number; targets: number }> {
  for (const d of ['src', 'dst', 'dst2']) await mkdir(join(dir, d), { recursive: true });
  for (let i = 0; i < files; i++) await writeFile(join(dir, 'src', `f${i}.bin`), `file ${i}`);
  const demo = topology === 'demo';
  const sources = (demo ? ['a', 'b', 'c'] : ['a']).map((id) => ({ id, type: 'local', dir: join(dir, 'src'), pollIntervalSec: 1 }));
  const targets = [
    { id: 't', type: 'local', dir: join(dir, 'dst') },
    ...(demo ? [{ id: 'u', type: 'local', dir: join(dir, 'dst2') }] : []),
  ];
  const routes = demo
    ? [
        { source: 'a', targets: ['t', 'u'] },
        { source: 'b', targets: ['t'] },
        { source: 'c', targets: ['u'] },
      ]
    : [{ source: 'a', targets: ['t'] }];
  const config = {
    dataDir: join(dir, 'data'),
    status: { host: '127.0.0.1', port: 0 },
    log: { file: join(dir, 'data', 'logs', 'filesync.log') },
    sources,
    targets,
    routes,
  };
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(config));
  return { configFile, sources: sources.length, targets: targets.length };
}

export interface RunningAgent {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Wall ms from spawn to the "serving" line, and the CPU seconds the process had used by then. */
  readonly served: Promise<{ wallMs: number; cpuS: number | undefined }>;
  kill(): Promise<void>;
}

/** Starts `filesync <argv>` from `repo` and watches for its "filesync: serving" line (300 s at most: the machine may be loaded). */
/** `BENCH_CPU_PROF_DIR=DIR`: every agent a benchmark starts writes a CPU profile per thread there (see actor-ref.ts). */
function cpuProfArgs(): string[] {
  const dir = process.env['BENCH_CPU_PROF_DIR'];
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

export function startAgent(repo: string, argv: readonly string[], env: Record<string, string> = {}): RunningAgent {
  const started = performance.now();
  // Its own process group: `kill()` stops the demo's simulators with it (a SIGTERM to the demo alone leaves them running).
  const child = spawn(process.execPath, [...cpuProfArgs(), filesyncBin(repo), ...argv], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...env } });
  if (child.pid === undefined) throw new Error(`could not start ${filesyncBin(repo)}`);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let out = '';
  const served = new Promise<{ wallMs: number; cpuS: number | undefined }>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`filesync ${argv[0]} printed no "serving" line within 300 s: ${out.slice(-2000)}`)), 300_000);
    child.stdout.on('data', (d: Buffer) => {
      if (out.length < 100_000) out += d.toString();
      if (!out.includes('filesync: serving')) return;
      clearTimeout(timer);
      resolvePromise({ wallMs: performance.now() - started, cpuS: cpuSeconds(child.pid!) });
    });
    child.stderr.on('data', (d: Buffer) => {
      if (out.length < 100_000) out += d.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`filesync ${argv[0]} exited (${code}) before serving: ${out.slice(-2000)}`));
    });
  });
  served.catch(() => undefined);
  return {
    child,
    pid: child.pid,
    served,
    async kill() {
      const group = (signal: NodeJS.Signals): void => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // The group is gone already.
        }
      };
      if (child.exitCode === null && child.signalCode === null) {
        // SIGTERM first, so the agent stops as in production; SIGKILL after 10 s.
        group('SIGTERM');
        const killer = setTimeout(() => group('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      // Whatever it started and left behind (the demo's simulators) goes too.
      group('SIGKILL');
    },
  };
}
