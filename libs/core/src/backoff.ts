import { type Clock, sleep, systemClock } from './clock';
import { classifyError } from './errors';

/** Exponential backoff with full jitter; one policy shape for retries, restarts and health checks. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** 0 = no jitter, 1 = delay drawn uniformly from [0, computed]. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 30_000, factor: 2, jitter: 0.5 };

/** Delay before attempt `attempt` (0-based: the first retry is attempt 0). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(base * (1 - jitter * random()));
}

export interface RetryOptions {
  readonly policy?: BackoffPolicy;
  /** Total tries including the first; transient errors beyond this are rethrown. */
  readonly maxAttempts: number;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  readonly random?: () => number;
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn` until it succeeds, retrying only transient errors (as classified by `classifyError`)
 * with backoff. Permanent errors are rethrown at once.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = options.policy ?? DEFAULT_BACKOFF;
  const clock = options.clock ?? systemClock;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const classified = classifyError(err);
      if (classified.kind === 'permanent' || attempt + 1 >= options.maxAttempts || options.signal?.aborted) throw err;
      const delay = backoffDelay(policy, attempt, options.random);
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, clock, options.signal);
    }
  }
}
