import type { Worker } from 'node:worker_threads';

/** Every actor thread started from this thread that has not yet emitted `exit`. */
const live = new Set<Worker>();

export function trackWorker(worker: Worker): void {
  live.add(worker);
  worker.once('exit', () => live.delete(worker));
}

/** Actor threads still running; 0 after a clean shutdown of every tree. */
export function liveWorkerCount(): number {
  return live.size;
}
