/**
 * Faults the simulator injects into upload POSTs, one per request, in the order they were queued.
 * Each fault applies to `times` consecutive uploads (default 1), then the next one in the queue.
 */
export type FaultSpec =
  /** Answer with `status` (a 5xx, 429 with `Retry-After`, 413 …) instead of storing the log. 413 answers before reading the body, like a proxy does. */
  | { readonly type: 'status'; readonly status: number; readonly retryAfterSec?: number; readonly times?: number }
  /** Stop reading the body for `delayMs` once `afterBytes` have arrived (0: a slow accept). */
  | { readonly type: 'stall'; readonly afterBytes: number; readonly delayMs: number; readonly times?: number }
  /** Drop the connection once `afterBytes` of the body have arrived. */
  | { readonly type: 'drop'; readonly afterBytes: number; readonly times?: number }
  /** Read the body at most at `bytesPerSec` (a slow uplink that keeps making progress). */
  | { readonly type: 'throttle'; readonly bytesPerSec: number; readonly times?: number }
  /** Store the log, then hold the answer for `delayMs` and drop the connection: the client never learns the URL. */
  | { readonly type: 'lose-answer'; readonly delayMs?: number; readonly times?: number }
  /**
   * A captive portal (or any proxy in the way) answers for the site: `302 Location: <location>` (another
   * host) from the headers alone, storing nothing. A client that takes any redirect as an upload is wrong.
   */
  | { readonly type: 'redirect'; readonly location: string; readonly times?: number };

export class FaultQueue {
  private readonly queue: { spec: FaultSpec; left: number }[] = [];

  add(spec: FaultSpec): void {
    validateFault(spec);
    this.queue.push({ spec, left: Math.max(1, Math.floor(spec.times ?? 1)) });
  }

  clear(): void {
    this.queue.length = 0;
  }

  pending(): number {
    return this.queue.reduce((n, f) => n + f.left, 0);
  }

  /** The fault for the next upload, or undefined when none is queued. */
  take(): FaultSpec | undefined {
    const head = this.queue[0];
    if (!head) return undefined;
    head.left -= 1;
    if (head.left <= 0) this.queue.shift();
    return head.spec;
  }
}

/** Throws an Error naming the bad key, so a control request or CLI flag gets a clear answer. */
export function validateFault(spec: unknown): asserts spec is FaultSpec {
  const s = spec as Record<string, unknown> | null;
  if (typeof s !== 'object' || s === null) throw new Error('fault: expected an object');
  const int = (key: string, min: number, max: number): void => {
    const v = s[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Error(`fault.${key}: expected an integer in ${min}..${max}`);
  };
  if (s['times'] !== undefined) int('times', 1, 1_000_000);
  switch (s['type']) {
    case 'status':
      int('status', 400, 599);
      if (s['retryAfterSec'] !== undefined) int('retryAfterSec', 0, 86_400);
      return;
    case 'stall':
      int('afterBytes', 0, Number.MAX_SAFE_INTEGER);
      int('delayMs', 0, 600_000);
      return;
    case 'drop':
      int('afterBytes', 0, Number.MAX_SAFE_INTEGER);
      return;
    case 'throttle':
      int('bytesPerSec', 1024, Number.MAX_SAFE_INTEGER);
      return;
    case 'lose-answer':
      if (s['delayMs'] !== undefined) int('delayMs', 0, 600_000);
      return;
    case 'redirect':
      if (typeof s['location'] !== 'string' || !/^https?:\/\/[^/]+/.test(s['location'])) throw new Error('fault.location: expected an absolute http(s) URL');
      return;
    default:
      throw new Error(`fault.type: expected status, stall, drop, throttle, lose-answer or redirect, got ${JSON.stringify(s['type'])}`);
  }
}
