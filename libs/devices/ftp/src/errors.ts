import { type FilesyncError, PermanentError, TransientError, classifyErrno, isFilesyncError } from '@filesync/core';

/** Removes secrets from text that may end up in a log line, a status page or an error message. */
export type Redact = (text: string) => string;

const keep: Redact = (text) => text;

/** The FTP reply code of a failed command (basic-ftp's `FTPError` carries it as a number), if any. */
export function ftpCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

/**
 * Node's TLS verification failures: a wrong or untrusted certificate is a configuration fault
 * (trust the CA with `caFile`), so retrying will not help.
 */
const TLS_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function fromFtpCode(code: number, message: string): FilesyncError {
  // No `cause`: the raw error is not redacted, and loggers print cause chains.
  const options = { detail: { ftpCode: code } };
  switch (code) {
    case 421: // service closing the control connection (too many users, restart)
    case 425: // cannot open data connection
    case 426: // data connection closed, transfer aborted
      return new TransientError('disconnected', message, options);
    case 452: // insufficient storage (RFC 959 transient form)
    case 552: // exceeded storage allocation: a full disk or quota, freed later by someone
      return new TransientError('no-space', message, options);
    case 530:
    case 532:
      return new PermanentError('permission', message, options);
    case 550:
      return new PermanentError('not-found', message, options);
    case 553:
      return new PermanentError('permission', message, options);
    case 502:
    case 504:
      return new PermanentError('unsupported', message, options);
    default:
      return code >= 500
        ? new PermanentError('bad-request', message, options)
        : new TransientError('busy', message, options); // 450, 451 and other 4xx: try again later
  }
}

/**
 * One classification for every FTP failure (after rclone's ftp `shouldRetry`): cancellation first,
 * then FTP reply codes, then TLS certificate failures, then basic-ftp's own socket errors, then the
 * shared errno table. `redact` strips secrets from the message kept on the error.
 */
export function classify(err: unknown, redact: Redact = keep): FilesyncError {
  if (isFilesyncError(err)) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const message = redact(raw);
  if (err instanceof Error && (err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR')) {
    return new TransientError('cancelled', message);
  }
  const code = ftpCode(err);
  if (code !== undefined) return fromFtpCode(code, message);
  const errno = (err as { code?: unknown } | null)?.code;
  if (typeof errno === 'string' && TLS_CERT_CODES.has(errno)) {
    return new PermanentError('permission', `TLS certificate rejected (${errno}): ${message}`, { detail: { tls: errno } });
  }
  if (typeof errno === 'string' && errno.startsWith('ERR_SSL_')) {
    // A handshake that fails on protocol grounds (e.g. implicit TLS against an explicit-TLS port) is a config fault.
    return new PermanentError('bad-request', `TLS handshake failed (${errno}): ${message}`, { detail: { tls: errno } });
  }
  const fromErrno = classifyErrno(err);
  if (fromErrno) {
    const options = fromErrno.detail === undefined ? undefined : { detail: fromErrno.detail };
    return fromErrno.kind === 'transient'
      ? new TransientError(fromErrno.code, message, options)
      : new PermanentError(fromErrno.code, message, options);
  }
  if (err instanceof Error && typeof errno !== 'string') {
    // basic-ftp reports its socket-level failures as plain Errors without a code; their text is the
    // only signal ("Timeout (data socket)", "Client is closed because …", "Server sent FIN …").
    if (/\btimeout\b/i.test(raw)) return new TransientError('timeout', message);
    if (/closed|FIN packet|data connection|transmission error|socket/i.test(raw)) return new TransientError('disconnected', message);
  }
  return new PermanentError('internal', message);
}
