import { type FilesyncError, PermanentError, TransientError, classifyErrno, isFilesyncError } from '@filesync/core';

/** Removes secrets from text that may end up in a log line, a status page or an error message. */
export type Redact = (text: string) => string;

/** Longest server message kept in an error (servers answer short XML or HTML pages). */
const MAX_BODY_CHARS = 300;

/**
 * Maps a WebDAV answer that is not the expected success onto the filesync error classes. `what`
 * names the request for the message ("PUT a/b.part"). Statuses with a meaning of their own for one
 * method (412 on MOVE, 405 on MKCOL, 409 on PUT) are judged by the caller before this.
 */
export function classifyStatus(status: number, what: string, body = ''): FilesyncError {
  const text = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, MAX_BODY_CHARS);
  const message = `${what}: HTTP ${status}${text ? ` (${text})` : ''}`;
  const detail = { status };
  switch (status) {
    case 401:
      return new PermanentError('permission', `${message}: the server refused the credentials (check user and password)`, { detail });
    case 403:
      return new PermanentError('permission', `${message}: forbidden (the account may not write here)`, { detail });
    case 404:
    case 410:
      return new PermanentError('not-found', message, { detail });
    case 408:
    case 504:
      return new TransientError('timeout', message, { detail });
    case 423: // Locked (RFC 4918): someone holds a lock, which ends
    case 429:
    case 503:
      return new TransientError('busy', message, { detail });
    case 507:
      // The Target contract wants no-space transient: a full disk or quota is freed by someone, then uploads go on.
      return new TransientError('no-space', `${message}: the server has no space left (507 Insufficient Storage)`, { detail });
    case 413:
      return new PermanentError('bad-request', `${message}: the file is larger than the server accepts`, { detail });
    default:
      // Redirects are not followed (credentials would go wherever they point): the URL is the thing to fix.
      if (status >= 300 && status <= 399) return new PermanentError('bad-request', `${message}: the server redirects; set url to the address it points to`, { detail });
      if (status >= 500 && status <= 599) return new TransientError('internal', message, { detail });
      if (status >= 400 && status <= 499) return new PermanentError('bad-request', message, { detail });
      return new PermanentError('internal', `unexpected ${message}`, { detail });
  }
}

/** undici's own error codes (fetch's `cause`) for a request that got no answer. */
const UNDICI_TRANSIENT: Readonly<Record<string, 'timeout' | 'disconnected'>> = {
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_SOCKET: 'disconnected',
  UND_ERR_CLOSED: 'disconnected',
  UND_ERR_ABORTED: 'disconnected',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'disconnected',
};

/** TLS failures that no retry cures: the server's certificate is not one we trust. */
const TLS_PERMANENT = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Classifies a request that failed without an HTTP answer: cancellation first, then the codes on
 * fetch's cause chain (TLS trust, undici, errno). fetch wraps every network failure in a bare
 * `TypeError('fetch failed')`, so the cause is where the reason is. Anything else that failed before
 * an answer is a transient disconnect: the request was never judged by the server.
 */
export function classify(err: unknown, redact: Redact = (t) => t): FilesyncError {
  if (isFilesyncError(err)) return err;
  if (err instanceof Error && (err.name === 'AbortError' || codeOf(err) === 'ABORT_ERR')) return new TransientError('cancelled', redact(err.message));
  if (err instanceof Error && err.name === 'TimeoutError') return new TransientError('timeout', redact(err.message));
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isFilesyncError(e)) return e;
    const code = codeOf(e);
    if (code === undefined) continue;
    const message = redact(e instanceof Error ? e.message : String(e));
    if (TLS_PERMANENT.has(code)) return new PermanentError('permission', `TLS certificate rejected (${code}): ${message}`, { detail: { tls: code } });
    const undici = UNDICI_TRANSIENT[code];
    if (undici) return new TransientError(undici, message, { detail: { errno: code } });
    if (code === 'ENOTFOUND') return new TransientError('disconnected', message, { detail: { errno: code } });
    const fromErrno = classifyErrno(e);
    // No `cause` kept: the raw error may carry an unredacted URL or header, and loggers print cause chains.
    if (fromErrno) return fromErrno.kind === 'transient' ? new TransientError(fromErrno.code, message, { detail: { errno: code } }) : new PermanentError(fromErrno.code, message, { detail: { errno: code } });
  }
  return new TransientError('disconnected', redact(err instanceof Error ? err.message : String(err)));
}
