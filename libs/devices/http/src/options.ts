import { type BackoffPolicy, type Clock, PermanentError } from '@filesync/core';
import type { TargetConfig } from '@filesync/core/config';

export type HttpTargetConfig = Extract<TargetConfig, { type: 'http' }>;

/** Written durably by the caller before a POST starts; see `HttpTargetOptions.onAttemptStart`. */
export interface UploadAttempt {
  readonly targetId: string;
  readonly path: string;
  /**
   * Sent as the `Idempotency-Key` header; the same for every try of one `commit`. A lookup endpoint
   * (`lookupUrl`) finds the log a POST with this key created.
   */
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  /** 1 for the first POST of this key, 2 for its first retry, … */
  readonly try: number;
  /** Wall-clock ms (`Clock.now()`). */
  readonly startedAt: number;
}

export interface HttpTargetOptions {
  readonly id: string;
  /** flight-review: PX4 Flight Review (`POST <url>/upload`, ULog files); form: any multipart form. */
  readonly mode: 'flight-review' | 'form';
  /** Flight Review: the site's base URL (`https://logs.px4.io`); form: the form's action URL. */
  readonly url: string;
  /** Field that carries the file (Flight Review: `filearg`). */
  readonly fileField?: string;
  /** Form fields sent with every upload. Flight Review: `description`, `email`, `type`, … (see FLIGHT_REVIEW_FIELDS). */
  readonly fields?: Readonly<Record<string, string>>;
  /** Largest file sent; bigger ones fail at `write` without touching the network. Flight Review: 300 MiB. */
  readonly maxBytes?: number;
  /**
   * Longest silence in one POST, in seconds (default 600): no body bytes accepted by the socket, or
   * no answer after the last byte. A limit on silence rather than on the whole POST, so that a big
   * log over a slow uplink still goes through.
   */
  readonly timeoutSec?: number;
  /**
   * An endpoint that answers `GET <lookupUrl>?key=<Idempotency-Key>` with `{"url": …}` (404 when
   * no such upload). Flight Review itself has none (its `/browse` lists only public logs and cannot
   * search by upload); the simulator offers `/lookup`. Without it, a crash mid-POST can leave one
   * duplicate log.
   */
  readonly lookupUrl?: string;
  /**
   * Directory for the in-transit copy and the attempt journal; must survive restarts (the agent's
   * state directory, not a tmpfs), since the journal is what lets `commit` find a log after a crash.
   */
  readonly spoolDir: string;
  /** POSTs per `commit`, including the first (default 5). */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffPolicy;
  /** Longest `Retry-After` honoured; longer ones end the commit with the transient error (default 300 s). */
  readonly maxRetryAfterSec?: number;
  readonly clock?: Clock;
  /**
   * Awaited before each POST sends a byte; a rejection sends nothing. The caller records the
   * attempt durably here so that after a crash it knows a POST may have reached the server.
   */
  readonly onAttemptStart?: (attempt: UploadAttempt) => void | Promise<void>;
}

/** Flight Review's upload form fields (app/tornado_handlers/upload.py). */
export const FLIGHT_REVIEW_FIELDS = [
  'description',
  'email',
  'allowForAnalysis',
  'obfuscated',
  'source',
  'type',
  'redirect',
  'feedback',
  'windSpeed',
  'rating',
  'videoUrl',
  'public',
  'vehicleName',
] as const;

/** Tornado's body limit on Flight Review (`max_buffer_size` in app/serve.py). */
export const FLIGHT_REVIEW_MAX_BYTES = 300 * 1024 * 1024;

export const DEFAULT_TIMEOUT_SEC = 600;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_MAX_RETRY_AFTER_SEC = 300;
/** Upload sites are slow to recover: start at 1 s, cap at 2 min. */
export const HTTP_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 120_000, factor: 2, jitter: 0.5 };

const BOOLEAN_FIELDS = new Set(['allowForAnalysis', 'obfuscated', 'public', 'redirect']);
const RATINGS = new Set(['crash_pilot', 'crash_sw_hw', 'unsatisfactory', 'good', 'great', 'notset']);

function badField(name: string, problem: string): PermanentError {
  return new PermanentError('bad-request', `fields.${name}: ${problem}`, { detail: { field: `fields.${name}` } });
}

/**
 * Checks Flight Review form fields as upload.py reads them, so a typo fails at start naming the
 * field instead of being silently ignored by the server.
 */
export function checkFlightReviewFields(fields: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(fields)) {
    if (!(FLIGHT_REVIEW_FIELDS as readonly string[]).includes(name)) {
      throw badField(name, `not a Flight Review form field (known: ${FLIGHT_REVIEW_FIELDS.join(', ')})`);
    }
    if (BOOLEAN_FIELDS.has(name) && value !== 'true' && value !== 'false') throw badField(name, `expected "true" or "false", got "${value}"`);
    if (name === 'type' && value !== 'personal' && value !== 'flightreport') throw badField(name, `expected "personal" or "flightreport", got "${value}"`);
    if (name === 'windSpeed' && !/^-?\d+$/.test(value)) throw badField(name, `expected a whole number, got "${value}"`);
    if (name === 'rating' && !RATINGS.has(value)) throw badField(name, `expected one of ${[...RATINGS].join(', ')}, got "${value}"`);
  }
}

/** Runtime parts the config does not hold: where to spool, the clock, the attempt hook, a lookup endpoint. */
export interface HttpTargetRuntime {
  readonly spoolDir: string;
  readonly lookupUrl?: string;
  readonly clock?: Clock;
  readonly onAttemptStart?: HttpTargetOptions['onAttemptStart'];
}

export function httpTargetOptionsFromConfig(config: HttpTargetConfig, runtime: HttpTargetRuntime): HttpTargetOptions {
  return {
    id: config.id,
    mode: config.mode,
    url: config.url,
    fileField: config.fileField,
    fields: config.fields,
    timeoutSec: config.timeoutSec,
    ...(config.maxBytes === undefined ? {} : { maxBytes: config.maxBytes }),
    ...runtime,
  };
}
