/**
 * The two error classes of filesync. The pipeline retries a `TransientError` with backoff and
 * records a `PermanentError` against the file. Errors cross worker threads as `ErrorData`
 * (plain data), because structured clone and comlink drop an error's class and fields.
 */

export type ErrorKind = 'transient' | 'permanent';

/** Stable codes; a device's `classify(err)` maps its own failures onto these. */
export const ERROR_CODES = [
  'timeout',
  'disconnected',
  'busy',
  'device-gone',
  'no-space',
  'not-found',
  'permission',
  'bad-request',
  'conflict',
  'checksum-mismatch',
  'unsupported',
  'illegal-transition',
  'corrupt',
  'cancelled',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorData {
  readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly message: string;
  readonly detail?: Record<string, unknown>;
}

export abstract class FilesyncError extends Error {
  abstract readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; detail?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options?.detail;
  }

  toData(): ErrorData {
    return this.detail === undefined
      ? { kind: this.kind, code: this.code, message: this.message }
      : { kind: this.kind, code: this.code, message: this.message, detail: this.detail };
  }
}

/** A fault that may pass: timeouts, disconnects, busy links, a full disk, a drive pulled out. */
export class TransientError extends FilesyncError {
  override readonly name = 'TransientError';
  readonly kind = 'transient' as const;
}

/** A fault that retrying will not cure: missing path, permission, bad request, bad checksum after N tries. */
export class PermanentError extends FilesyncError {
  override readonly name = 'PermanentError';
  readonly kind = 'permanent' as const;
}

/** A device option that cannot work, as `field: message`: a bad request that names the field. */
export function badOption(field: string, message: string): PermanentError {
  return new PermanentError('bad-request', `${field}: ${message}`, { detail: { field } });
}

export function isFilesyncError(err: unknown): err is FilesyncError {
  return err instanceof FilesyncError;
}

export function isTransient(err: unknown): boolean {
  return isFilesyncError(err) && err.kind === 'transient';
}

/** Turns any thrown value into data that survives a thread hop. Unknown errors count as permanent `internal`. */
export function toErrorData(err: unknown): ErrorData {
  if (isFilesyncError(err)) return err.toData();
  if (isErrorData(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'permanent', code: 'internal', message };
}

/** Rebuilds the error class on the receiving side of a thread hop. */
export function fromErrorData(data: ErrorData): FilesyncError {
  const options = data.detail === undefined ? undefined : { detail: data.detail };
  return data.kind === 'transient'
    ? new TransientError(data.code, data.message, options)
    : new PermanentError(data.code, data.message, options);
}

export function isErrorData(value: unknown): value is ErrorData {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    (v['kind'] === 'transient' || v['kind'] === 'permanent') &&
    typeof v['message'] === 'string' &&
    (ERROR_CODES as readonly unknown[]).includes(v['code'])
  );
}

/**
 * errno codes after which the same call may succeed later (after rclone's retriable errno list,
 * plus the ones a pulled USB drive produces).
 */
const TRANSIENT_ERRNO: Readonly<Record<string, ErrorCode>> = {
  ETIMEDOUT: 'timeout',
  ECONNRESET: 'disconnected',
  ECONNREFUSED: 'disconnected',
  ECONNABORTED: 'disconnected',
  EPIPE: 'disconnected',
  EHOSTUNREACH: 'disconnected',
  ENETUNREACH: 'disconnected',
  ENETDOWN: 'disconnected',
  EAI_AGAIN: 'disconnected',
  EBUSY: 'busy',
  EAGAIN: 'busy',
  EIO: 'device-gone',
  ENODEV: 'device-gone',
  ENXIO: 'device-gone',
  ENOSPC: 'no-space',
  EDQUOT: 'no-space',
};

const PERMANENT_ERRNO: Readonly<Record<string, ErrorCode>> = {
  ENOENT: 'not-found',
  ENOTDIR: 'not-found',
  EACCES: 'permission',
  EPERM: 'permission',
  EROFS: 'permission',
  EISDIR: 'bad-request',
  EINVAL: 'bad-request',
  // A name the file system cannot hold: fails that file with the reason, never rewritten into another name.
  ENAMETOOLONG: 'bad-request',
  EILSEQ: 'bad-request',
  EEXIST: 'conflict',
};

/** The shared classification of Node system errors; devices call it last, after their protocol codes. */
export function classifyErrno(err: unknown): FilesyncError | undefined {
  if (isFilesyncError(err)) return err;
  const errno = (err as { code?: unknown } | null)?.code;
  if (typeof errno !== 'string') return undefined;
  const message = err instanceof Error ? err.message : errno;
  const transient = TRANSIENT_ERRNO[errno];
  if (transient) return new TransientError(transient, message, { cause: err, detail: { errno } });
  const permanent = PERMANENT_ERRNO[errno];
  if (permanent) return new PermanentError(permanent, message, { cause: err, detail: { errno } });
  return undefined;
}

/** Last-resort classification: errno first, then `internal` (permanent, so an unknown bug is reported, not spun on). */
export function classifyError(err: unknown): FilesyncError {
  if (isFilesyncError(err)) return err;
  if (err instanceof Error && err.name === 'AbortError') {
    return new TransientError('cancelled', err.message, { cause: err });
  }
  return classifyErrno(err) ?? new PermanentError('internal', err instanceof Error ? err.message : String(err), { cause: err });
}

/**
 * Codes of faults of a link or device as a whole: another file would fail the same way now, and the
 * same request may succeed once it recovers. Health backs off the device for them; they never count
 * against a file.
 */
const LINK_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['timeout', 'disconnected', 'busy', 'device-gone', 'no-space', 'cancelled']);

/** Marks a fault as the file's own although its code alone would read as the link's (e.g. a MAVFTP read NAK). */
export const FILE_SCOPE = { scope: 'file' } as const;

/**
 * Whether a fault belongs to one file (counted against it, which steps aside while others go on) rather
 * than to its link. A device says so by putting {@link FILE_SCOPE} in the error's detail when its code
 * is a link code.
 */
export function isFileFault(error: ErrorData): boolean {
  if (error.detail?.['scope'] === FILE_SCOPE.scope) return true;
  return error.kind === 'permanent' || !LINK_CODES.has(error.code);
}
