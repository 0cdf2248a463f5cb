import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '@filesync/core';

/**
 * The FTP simulator as a real child process, driven through its HTTP control API. Devices may not
 * import simulators (module boundaries), so the device's tests talk to it as any tool would.
 */
export interface SimulatorProcess {
  readonly url: string;
  readonly control: string;
  readonly root: string;
  readonly user: string;
  readonly password: string;
  setFaults(patch: Record<string, unknown>): Promise<void>;
  clearFaults(): Promise<void>;
  stats(): Promise<{ bytesReceived: number; received: Record<string, number>; sent: Record<string, number>; renames: number; connections: number }>;
  resetStats(): Promise<void>;
  deleteParts(): Promise<string[]>;
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startSimulatorProcess(extraArgs: readonly string[] = []): Promise<SimulatorProcess> {
  const root = await mkdtemp(join(tmpdir(), 'fs-ftp-sim-'));
  const user = 'uploader';
  const password = 'sim-Secret-7f3a9c';
  const sim = await startSimulator<Record<string, string>>(
    'ftp',
    ['--port', '0', '--root', root, '--no-seed', '--user', user, '--password', password, ...extraArgs],
    { from: 'source', timeoutMs: 20_000 },
  );
  const { ready } = sim;
  const control = ready['control']!;
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${control}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const json = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`control ${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  };
  return {
    url: ready['ftp']!,
    control,
    root,
    user,
    password,
    setFaults: async (patch) => void (await call('POST', '/faults', patch)),
    clearFaults: async () => void (await call('DELETE', '/faults')),
    stats: async () => (await call('GET', '/stats')) as Awaited<ReturnType<SimulatorProcess['stats']>>,
    resetStats: async () => void (await call('DELETE', '/stats')),
    deleteParts: async () => ((await call('POST', '/delete-parts')) as { removed: string[] }).removed,
    restart: async (downMs) => void (await call('POST', `/restart?downMs=${downMs}`)),
    stop: async () => {
      await sim.stop('SIGKILL');
      await rm(root, { recursive: true, force: true });
    },
  };
}
