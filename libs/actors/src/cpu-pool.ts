import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fromErrorData, type HashName, TransientError } from '@filesync/core';
import { Piscina } from 'piscina';
import type { CpuResult, CpuTask } from './cpu-tasks';

export interface CpuPoolOptions {
  /** Default: one less than the cores, at least 1, so the actors keep a core. */
  readonly maxThreads?: number;
  /** Idle threads exit after this; the pool starts them again on demand. */
  readonly idleTimeoutMs?: number;
}

/** CPU-heavy work (sha256 of staged files, CRC32) off the actors' event loops. */
export interface CpuPool {
  /** Hex digest of a whole file; `TransientError`/`PermanentError` (e.g. `not-found`) on failure. */
  hashFile(path: string, algorithm: HashName, signal?: AbortSignal): Promise<string>;
  /** Threads alive right now (idle ones included). */
  threadCount(): number;
  /** Waits for running tasks, rejects queued ones, and ends every thread. */
  destroy(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./cpu-pool-entry.mjs', import.meta.url));

export function createCpuPool(options: CpuPoolOptions = {}): CpuPool {
  const pool = new Piscina<CpuTask, CpuResult>({
    filename: ENTRY,
    minThreads: 0,
    maxThreads: options.maxThreads ?? Math.max(1, availableParallelism() - 1),
    idleTimeout: options.idleTimeoutMs ?? 30_000,
    // Same reason as actors: flags of the parent process must not leak into the pool's threads.
    execArgv: [],
  });
  let destroyed = false;
  return {
    async hashFile(path, algorithm, signal) {
      if (destroyed) throw new TransientError('cancelled', 'the CPU pool is shut down');
      const result = await pool.run({ type: 'cpu.hash-file', path, algorithm }, signal ? { signal } : {});
      if (!result.ok) throw fromErrorData(result.error);
      return result.value;
    },
    threadCount: () => pool.threads.length,
    async destroy() {
      destroyed = true;
      await pool.destroy();
    },
  };
}
