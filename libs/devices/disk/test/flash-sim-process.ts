import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '@filesync/core';
import type { ReadGate } from '../src/volume-source';

// Tests start simulators as processes and talk to their control API (ARCHITECTURE.md, Conventions):
// a device may not import a simulator, and this is how the agent and chaos runs meet them too.

export interface FlashReady {
  readonly mountPoint: string;
  readonly mountTable: string;
  readonly diskDir: string;
  readonly uuid: string;
  readonly label: string;
  readonly files: number;
  readonly bytes: number;
  readonly control: string;
}

export interface FlashSimProcess {
  readonly ready: FlashReady;
  readonly root: string;
  post<T = unknown>(path: string, body?: unknown): Promise<T>;
  get<T = unknown>(path: string): Promise<T>;
  /** A read gate that reports each read to the simulator and fails it when the simulator says so. */
  readonly gate: ReadGate;
  /** Backing directory of a card that is not inserted. */
  cardDir(uuid: string): string;
  stop(): Promise<void>;
}

export async function startFlashSimProcess(args: readonly string[]): Promise<FlashSimProcess> {
  const root = await mkdtemp(join(tmpdir(), 'fs-disk-sim-'));
  const sim = await startSimulator<FlashReady>('flash', ['--root', root, ...args], { from: 'source', stderr: 'inherit' });
  const { ready } = sim;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${ready.control}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const json = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.error ?? ''}`);
    return json;
  };
  return {
    ready,
    root,
    post: (path, body = {}) => call('POST', path, body),
    get: (path) => call('GET', path),
    gate: async (request) => {
      const reply = await call<{ action: string; errno?: string }>('POST', '/gate', request);
      if (reply.action === 'fail') {
        throw Object.assign(new Error(`${reply.errno}: simulated read error, read ${request.path} at ${request.offset}`), { code: reply.errno });
      }
    },
    cardDir: (uuid) => join(root, 'cards', uuid),
    async stop() {
      await sim.stop('SIGKILL');
      await rm(root, { recursive: true, force: true });
    },
  };
}
