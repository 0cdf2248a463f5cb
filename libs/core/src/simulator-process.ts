import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PermanentError } from './errors';

/**
 * child_process and readline, required when a simulator starts: only the demo, tests and benchmarks
 * start one, but every thread that imports @filesync/core (each of the agent's 16 actors, each CLI
 * command) would load both at its start, about 5 ms of CPU each.
 */
const lazyRequire = createRequire(import.meta.url);
const childProcess = (): typeof import('node:child_process') => lazyRequire('node:child_process') as typeof import('node:child_process');
const readline = (): typeof import('node:readline') => lazyRequire('node:readline') as typeof import('node:readline');

/** The repository's root (the agent, built or not, lives inside it). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export type SimulatorName = 'px4' | 'flash' | 'ftp' | 'flight-review' | 's3';

export interface SimulatorOptions {
  /**
   * `build` (the demo, chaos, benchmarks): `simulators/dist/<name>.js`, as `nx run simulators:build` makes it.
   * `source` (unit tests, which run TypeScript anyway): `simulators/<name>/main.ts` through tsx.
   */
  readonly from?: 'build' | 'source';
  readonly timeoutMs?: number;
  /** `inherit` shows the simulator's stderr as it comes (default: kept for the error messages). */
  readonly stderr?: 'pipe' | 'inherit';
}

export interface RunningSimulator<R = Record<string, unknown>> {
  readonly name: SimulatorName;
  /** The simulator's one JSON ready line (ARCHITECTURE.md, Conventions). */
  readonly ready: R & { readonly ready: true };
  readonly child: ChildProcess;
  /** The tail of its stderr. */
  stderr(): string;
  /** Sends `signal` (SIGKILL after 3 s if it is still running) and waits for the exit; again: no-op. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const STDERR_KEEP = 10_000;

export function simulatorCommand(name: SimulatorName, from: 'build' | 'source'): string[] {
  if (from === 'source') return ['--import', 'tsx', fileURLToPath(new URL(`../../../simulators/${name}/main.ts`, import.meta.url))];
  const built = fileURLToPath(new URL(`../../../simulators/dist/${name}.js`, import.meta.url));
  if (!existsSync(built)) throw new PermanentError('not-found', `simulator ${name} is not built (no ${built}): run \`npx nx run simulators:build\``);
  return [built];
}

/**
 * Starts a simulator as a process and waits for its JSON ready line. Fails with the simulator's
 * stderr if it exits first, prints something else, or is silent for `timeoutMs`.
 */
export function startSimulator<R = Record<string, unknown>>(
  name: SimulatorName,
  args: readonly string[],
  options: SimulatorOptions = {},
): Promise<RunningSimulator<R>> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = childProcess().spawn(process.execPath, [...simulatorCommand(name, options.from ?? 'build'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', options.stderr ?? 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-STDERR_KEEP)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    // A child killed by a signal keeps exitCode null: check both, so a second stop() returns.
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  };
  const tail = (): string => stderr.trim();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop('SIGKILL');
      reject(new Error(`simulator ${name} printed no ready line within ${timeoutMs} ms; stderr: ${tail()}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`simulator ${name} exited (${code}) before it was ready; stderr: ${tail()}`));
    });
    readline().createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      try {
        const ready = JSON.parse(line) as RunningSimulator<R>['ready'];
        if (ready.ready !== true) throw new Error('not a ready line');
        resolve({ name, ready, child, stderr: tail, stop });
      } catch {
        void stop('SIGKILL');
        reject(new Error(`simulator ${name} printed "${line.slice(0, 200)}" instead of a JSON ready line`));
      }
    });
  });
}
