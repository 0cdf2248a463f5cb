import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface RunningSimulator {
  readonly name: string;
  /** The simulator's one JSON ready line. */
  readonly ready: Record<string, unknown> & { ready: true };
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `simulators/<name>/main.ts` as a process and waits for its JSON ready line (the convention
 * in ARCHITECTURE.md). Fails with the simulator's stderr if it exits or is silent for `timeoutMs`.
 */
export function startSimulator(name: string, args: readonly string[], timeoutMs = 60_000): Promise<RunningSimulator> {
  const child = spawn(process.execPath, ['--import', 'tsx', `simulators/${name}/main.ts`, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.join('').length < 10_000) stderr.push(d.toString());
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`simulator ${name} printed no ready line within ${timeoutMs} ms; stderr: ${stderr.join('').trim()}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`simulator ${name} exited (${code}) before it was ready; stderr: ${stderr.join('').trim()}`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        const ready = JSON.parse(line) as RunningSimulator['ready'];
        if (ready.ready !== true) throw new Error('not a ready line');
        resolve({ name, ready, child, stop });
      } catch {
        void stop();
        reject(new Error(`simulator ${name} printed "${line.slice(0, 200)}" instead of a JSON ready line`));
      }
    });
  });
}
