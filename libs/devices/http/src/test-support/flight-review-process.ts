import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '@filesync/core';

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

export function tsxArgs(script: string, args: readonly string[]): string[] {
  return ['--import', 'tsx', script, ...args];
}

export async function startSimProcess(flags: readonly string[] = []): Promise<SimProcess> {
  const root = await mkdtemp(join(tmpdir(), 'fs-fr-sim-'));
  const sim = await startSimulator<{ http: string; control: string }>('flight-review', ['--port', '0', '--root', root, ...flags], { from: 'source', timeoutMs: 20_000 });
  const { ready } = sim;
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
      await sim.stop('SIGKILL');
      await rm(root, { recursive: true, force: true });
    },
  };
}
