import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startSimulator } from '@filesync/core';

/** The ready line of `simulators/px4/main.ts` (ARCHITECTURE.md, Conventions). */
export interface Px4SimReady {
  readonly ready: true;
  readonly sim: 'px4';
  readonly udp: string;
  readonly pty?: string;
  readonly control: string;
  readonly root: string;
}

export interface Px4Sim extends Px4SimReady {
  /** POST to the control API; returns its JSON. */
  post(path: string, body?: unknown): Promise<unknown>;
  state(): Promise<SimState>;
  stop(): Promise<void>;
}

export interface SimState {
  readonly armed: boolean;
  readonly reboots: number;
  readonly bytesServed: Record<string, number>;
  readonly links: Record<string, { sessionOpen: boolean; server: { opens: number; resets: number; requests: Record<string, number>; naks: Record<string, number> } }>;
}

/** Writes files (vehicle path → bytes) under a fresh root. */
export async function makeSdRoot(files: Readonly<Record<string, Uint8Array>>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'fs-px4-sim-'));
  for (const [path, bytes] of Object.entries(files)) {
    const file = join(root, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, bytes);
  }
  await mkdir(join(root, 'fs/microsd/log'), { recursive: true });
  return root;
}

/**
 * Starts the PX4 simulator as a real child process (killed with SIGKILL on stop) and waits for
 * its ready line. `root` should already hold the files the test wants served.
 */
export async function startPx4Sim(root: string, args: readonly string[] = [], options: { removeRoot?: boolean } = {}): Promise<Px4Sim> {
  const sim = await startSimulator<Px4SimReady>('px4', ['--port', '0', '--root', root, ...args], { from: 'source', timeoutMs: 20_000 });
  const { ready } = sim;
  const post = async (path: string, body: unknown = {}): Promise<unknown> => {
    const res = await fetch(`${ready.control}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const json = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`control ${path}: ${JSON.stringify(json)}`);
    return json;
  };
  return {
    ...ready,
    post,
    state: async () => (await (await fetch(`${ready.control}/state`)).json()) as SimState,
    stop: async () => {
      await sim.stop('SIGKILL');
      if (options.removeRoot) await rm(root, { recursive: true, force: true });
    },
  };
}
