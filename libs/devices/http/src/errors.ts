import { type FilesyncError, PermanentError, TransientError, classifyErrno, isFilesyncError } from '@filesync/core';

/** Longest server message kept in an error's detail (Flight Review answers a short text or HTML page). */
const MAX_DETAIL_CHARS = 300;

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns milliseconds
 * from `nowMs`, or undefined when absent or malformed.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * Maps an HTTP status that is not a success onto the filesync error classes: 408, 429 and 5xx are
 * transient (429 and 503 carry the server's `Retry-After` in `detail.retryAfterMs`); any other 4xx
 * is permanent, since sending the same request again gets the same answer.
 */
export function classifyHttpStatus(status: number, body: string, retryAfterMs?: number): FilesyncError {
  const text = body.replace(/\s+/g, ' ').trim().slice(0, MAX_DETAIL_CHARS);
  const message = `HTTP ${status}${text ? `: ${text}` : ''}`;
  const detail: Record<string, unknown> = retryAfterMs === undefined ? { status } : { status, retryAfterMs };
  if (status === 408) return new TransientError('timeout', message, { detail });
  if (status === 429 || status === 503) return new TransientError('busy', message, { detail });
  if (status === 504) return new TransientError('timeout', message, { detail });
  if (status === 507) return new TransientError('no-space', message, { detail });
  if (status >= 500 && status <= 599) return new TransientError('internal', message, { detail });
  if (status === 401 || status === 403) return new PermanentError('permission', message, { detail });
  if (status === 404 || status === 410) return new PermanentError('not-found', message, { detail });
  // 413 from a proxy, or Flight Review's 400 for a file over 300 MB or not a ULog: the same bytes never pass.
  if (status >= 400 && status <= 499) return new PermanentError('bad-request', message, { detail });
  return new PermanentError('internal', `unexpected ${message}`, { detail });
}

/** TLS failures that no retry cures: the server's certificate is not one we trust. */
const TLS_PERMANENT = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Classifies a failure of the request itself (no HTTP answer): cancellation first, then TLS trust
 * errors, then the shared errno table; any other socket or parser failure counts as a transient
 * disconnect, because the request never got an answer to judge.
 */
export function classify(err: unknown): FilesyncError {
  if (isFilesyncError(err)) return err;
  if (err instanceof Error && err.name === 'AbortError') return new TransientError('cancelled', err.message, { cause: err });
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && TLS_PERMANENT.has(code)) return new PermanentError('permission', message, { cause: err, detail: { errno: code } });
  if (code === 'ENOTFOUND') return new TransientError('disconnected', message, { cause: err, detail: { errno: code } });
  return classifyErrno(err) ?? new TransientError('disconnected', message, { cause: err, detail: typeof code === 'string' ? { errno: code } : {} });
}
