import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * The Flight Review simulator as tests start it (ARCHITECTURE.md, Conventions): a child process
 * whose JSON ready line names its endpoints. Devices may not import simulators (module
 * boundaries), so device tests talk to it over HTTP only, as the agent would.
 */
export interface SimProcess {
  readonly http: string;
  readonly control: string;
  readonly root: string;
  addFault(spec: Record<string, unknown>): Promise<void>;
  clearFaults(): Promise<void>;
  logs(): Promise<SimLog[]>;
  stats(): Promise<{ posts: number; stored: number; rejected: Record<string, number>; dropped: number }>;
  kill(): Promise<void>;
}

export interface SimLog {
  readonly id: string;
  readonly url: string;
  readonly fileName: string;
  readonly size: number;
  readonly sha256: string;
  readonly fields: Record<string, string>;
  readonly idempotencyKey?: string;
  readonly path?: string;
}

export const SIM_MAIN = fileURLToPath(new URL('../../../../../simulators/flight-review/main.ts', import.meta.url));

export function tsxArgs(script: string, args: readonly string[]): string[] {
  return ['--import', 'tsx', script, ...args];
}

/** Resolves with the first stdout line, or rejects if the child exits or stays silent for 20 s. */
export function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => reject(new Error(`${what}: no ready line in 20 s; stderr: ${stderr}`)), 20_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before its ready line; stderr: ${stderr}`));
    });
  });
}

export async function startSimProcess(flags: readonly string[] = []): Promise<SimProcess> {
  const root = await mkdtemp(join(tmpdir(), 'fs-fr-sim-'));
  const child = spawn(process.execPath, tsxArgs(SIM_MAIN, ['--port', '0', '--root', root, ...flags]), { stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = JSON.parse(await firstLine(child, 'flight-review simulator')) as { http: string; control: string };
  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${ready.control}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (!res.ok) throw new Error(`control ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    http: ready.http,
    control: ready.control,
    root,
    addFault: async (spec) => void (await control('POST', '/faults', spec)),
    clearFaults: async () => void (await control('DELETE', '/faults')),
    logs: async () => (await control('GET', '/logs')) as SimLog[],
    stats: async () => (await control('GET', '/stats')) as Awaited<ReturnType<SimProcess['stats']>>,
    kill: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}
