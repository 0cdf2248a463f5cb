import { type Clock, systemClock } from './clock';
import { TransientError } from './errors';

/** `work`, or a `timeout` TransientError with `message` if it has not settled within `ms` (the work itself goes on). */
export function withTimeout<T>(work: Promise<T>, ms: number, message: string, clock: Clock = systemClock): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new TransientError('timeout', message)), ms);
    work.then(resolve, reject).finally(() => clock.clearTimeout(timer));
  });
}
