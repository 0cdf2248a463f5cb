import type { ExitReason } from './exit-reason';

/** Milliseconds to wait after the stop message before killing, or `infinity` (nested supervisors). */
export type ShutdownTimeout = number | 'infinity';

/** Anything a supervisor can hold: a worker actor or a nested supervisor. */
export interface Supervised {
  readonly kind: 'worker' | 'supervisor';
  /** Resolves (never rejects) once the child has ended, with why. */
  readonly exited: Promise<ExitReason>;
  /** Asks the child to stop, waits up to `timeout`, then kills it. Resolves with its exit reason. */
  shutdown(timeout: ShutdownTimeout): Promise<ExitReason>;
}
