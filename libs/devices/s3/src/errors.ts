import { type FilesyncError, PermanentError, TransientError, classifyErrno, classifyError, isFilesyncError } from '@filesync/core';

/** What the SDK puts on a service error (`S3ServiceException`); read structurally, since errors may cross module copies. */
interface ServiceErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** The S3 error code (`NoSuchBucket`, `SlowDown`, …) and HTTP status of a thrown value, when it is a service answer. */
export function s3ErrorOf(err: unknown): { code: string; status: number | undefined } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as ServiceErrorShape;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  if (e.$fault === undefined && status === undefined) return undefined;
  return { code: typeof e.name === 'string' ? e.name : 'Unknown', status };
}

/** The calls a store may not offer (s3rver has no ListParts, ListMultipartUploads or AbortMultipartUpload). */
export function isNotOffered(err: unknown): boolean {
  const s3 = s3ErrorOf(err);
  return s3 !== undefined && (s3.code === 'NotImplemented' || s3.code === 'MethodNotAllowed' || s3.status === 501 || s3.status === 405);
}

export function isNoSuchUpload(err: unknown): boolean {
  return s3ErrorOf(err)?.code === 'NoSuchUpload';
}

/** A conditional write refused because its condition did not hold (`If-None-Match: *` on a key that holds an object). */
export function isPreconditionFailed(err: unknown): boolean {
  const s3 = s3ErrorOf(err);
  return s3 !== undefined && (s3.code === 'PreconditionFailed' || s3.status === 412);
}

/** A HEAD's 404 has no body, so the SDK names it `NotFound`; a GET's says `NoSuchKey`. */
export function isNotFound(err: unknown): boolean {
  const s3 = s3ErrorOf(err);
  return s3 !== undefined && (s3.code === 'NotFound' || s3.code === 'NoSuchKey' || (s3.status === 404 && s3.code !== 'NoSuchBucket' && s3.code !== 'NoSuchUpload'));
}

const PERMISSION_CODES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AllAccessDisabled', 'AccountProblem', 'InvalidToken', 'ExpiredToken', 'InvalidSecurity']);
const BUSY_CODES = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'OperationAborted']);

/**
 * Maps a failed S3 call onto filesync's two classes: cancellation first, then the store's error
 * code (never its message text), then its HTTP status, then the shared errno list. `where` names
 * the bucket and endpoint so a permanent error says which bucket it is about; it holds no secret.
 */
export function classify(err: unknown, where: { bucket: string; endpoint: string }): FilesyncError {
  if (isFilesyncError(err)) return err;
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'AbortError') return new TransientError('cancelled', 'the S3 request was cancelled', { cause: err });
  const s3 = s3ErrorOf(err);
  if (s3 === undefined) {
    if (name === 'TimeoutError' || name === 'RequestTimeout') return new TransientError('timeout', `${where.endpoint} did not answer in time`, { cause: err });
    return classifyErrno(err) ?? classifyError(err);
  }
  const detail = { s3Code: s3.code, status: s3.status, bucket: where.bucket };
  const text = `${s3.code}${s3.status === undefined ? '' : ` (HTTP ${s3.status})`}`;
  if (s3.code === 'NoSuchBucket') {
    return new PermanentError('not-found', `bucket "${where.bucket}" does not exist on ${where.endpoint} (NoSuchBucket); create it or fix "bucket"`, { cause: err, detail });
  }
  if (PERMISSION_CODES.has(s3.code) || s3.status === 403) {
    return new PermanentError('permission', `access to bucket "${where.bucket}" on ${where.endpoint} was refused: ${text}; check the credentials and the bucket policy`, { cause: err, detail });
  }
  if (s3.code === 'RequestTimeout' || s3.status === 408) return new TransientError('timeout', `${where.endpoint} timed out the request: ${text}`, { cause: err, detail });
  if (s3.code === 'NoSuchUpload') return new TransientError('conflict', `the store forgot the multipart upload: ${text}`, { cause: err, detail });
  // Bytes damaged on the way: the same part sent again may pass.
  if (s3.code === 'BadDigest' || s3.code === 'IncompleteBody') return new TransientError('disconnected', `${where.endpoint} received damaged data: ${text}`, { cause: err, detail });
  if (s3.code === 'QuotaExceeded' || s3.code === 'InsufficientStorage' || s3.status === 507) {
    return new TransientError('no-space', `bucket "${where.bucket}" on ${where.endpoint} is full: ${text}`, { cause: err, detail });
  }
  if (BUSY_CODES.has(s3.code) || s3.status === 429 || (s3.status !== undefined && s3.status >= 500)) {
    return new TransientError('busy', `${where.endpoint} is busy or failing: ${text}; will retry`, { cause: err, detail });
  }
  if (s3.code === 'PreconditionFailed' || s3.status === 412 || s3.status === 409) return new TransientError('conflict', `${where.endpoint}: ${text}`, { cause: err, detail });
  if (s3.code === 'EntityTooLarge' || s3.code === 'EntityTooSmall' || s3.code === 'InvalidPart' || s3.code === 'InvalidPartOrder') {
    return new PermanentError('bad-request', `${where.endpoint} refused the upload: ${text}`, { cause: err, detail });
  }
  return new PermanentError('bad-request', `${where.endpoint} refused the request: ${text}`, { cause: err, detail });
}

/** The S3 error code of a raw SDK error or of one `classify` made (kept in its detail). */
export function s3CodeOf(err: unknown): string | undefined {
  const detail = (err as { detail?: { s3Code?: unknown } } | null)?.detail;
  if (typeof detail?.s3Code === 'string') return detail.s3Code;
  return s3ErrorOf(err)?.code;
}
