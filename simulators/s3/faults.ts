/**
 * Faults the S3 simulator produces on demand. Counted faults (`…Times`) fire on that many requests
 * of the kind they name and then stop, so a client that retries gets through; a rate holds until
 * cleared. A patch (control API `POST /faults`, `--faults JSON`) sets any subset.
 */
export interface S3Faults {
  /** The next N S3 requests answer `500 InternalError` (the SDK retries these). */
  readonly internalErrorTimes: number;
  /** Each S3 request answers `500 InternalError` with this probability (0..1), on top of the count. */
  readonly internalErrorRate: number;
  /** The next N S3 requests answer `503 SlowDown` (throttling: the SDK backs off and retries). */
  readonly slowDownTimes: number;
  /** An UploadPart's connection is destroyed once this many bytes of its body have arrived. */
  readonly dropPartAfterBytes: number | null;
  readonly dropPartTimes: number;
  /**
   * CompleteMultipartUpload answers `200 OK` with an `<Error>` body and completes nothing (Ceph RGW
   * sends 200 first to keep the connection alive, then reports the failure in the body).
   */
  readonly completeErrorBodyTimes: number;
  /** PutObject/UploadPart store the bytes as sent but answer (and record) an ETag that is not their MD5. */
  readonly wrongEtagTimes: number;
  /** PutObject/UploadPart store the bytes with one byte flipped and answer the MD5 of what was sent (silent corruption). */
  readonly corruptDataTimes: number;
  /** The next N PutObject with `If-None-Match` answer `501 NotImplemented` (a store without conditional writes that refuses the header). */
  readonly conditionalRefusedTimes: number;
  /** The next UploadPart/CompleteMultipartUpload naming an existing upload finds it forgotten: deleted, `404 NoSuchUpload`. */
  readonly forgetUploadTimes: number;
  /**
   * PutObject/UploadPart bodies are read at most this fast (bytes/s; null: as fast as they come), so that a
   * part is in flight long enough for a chaos run to cut the client in the middle of it. Not reading is
   * the cap: TCP pushes back on the client, as a slow uplink does.
   */
  readonly bandwidthBytesPerSec: number | null;
  /**
   * Every S3 request waits this long (ms) before it is handled: a store across the internet, where each
   * request costs a round trip and several requests in flight at once are what keeps the link busy.
   */
  readonly latencyMs: number;
}

export const NO_FAULTS: S3Faults = {
  internalErrorTimes: 0,
  internalErrorRate: 0,
  slowDownTimes: 0,
  dropPartAfterBytes: null,
  dropPartTimes: 0,
  completeErrorBodyTimes: 0,
  wrongEtagTimes: 0,
  corruptDataTimes: 0,
  forgetUploadTimes: 0,
  conditionalRefusedTimes: 0,
  bandwidthBytesPerSec: null,
  latencyMs: 0,
};

export type FaultPatch = Partial<S3Faults>;

const COUNTS = ['internalErrorTimes', 'slowDownTimes', 'dropPartTimes', 'completeErrorBodyTimes', 'wrongEtagTimes', 'corruptDataTimes', 'forgetUploadTimes', 'conditionalRefusedTimes'] as const;

/** Checks a patch from the outside world; throws naming the bad field. */
export function parseFaultPatch(input: unknown): FaultPatch {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('faults: expected a JSON object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if ((COUNTS as readonly string[]).includes(key)) {
      if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0)) throw new Error(`faults.${key}: expected a whole number ≥ 0`);
    } else if (key === 'internalErrorRate') {
      if (!(typeof value === 'number' && value >= 0 && value <= 1)) throw new Error(`faults.${key}: expected a number in 0..1`);
    } else if (key === 'latencyMs') {
      if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 60_000)) throw new Error(`faults.${key}: expected a whole number of ms in 0..60000`);
    } else if (key === 'dropPartAfterBytes' || key === 'bandwidthBytesPerSec') {
      if (value !== null && !(typeof value === 'number' && Number.isInteger(value) && value >= 0)) throw new Error(`faults.${key}: expected a whole number ≥ 0 or null`);
    } else {
      throw new Error(`faults.${key}: unknown fault`);
    }
    out[key] = value;
  }
  return out as FaultPatch;
}

export function applyFaultPatch(current: S3Faults, patch: FaultPatch): S3Faults {
  const next: S3Faults = { ...current, ...patch };
  // A drop given without a count fires once.
  return patch.dropPartAfterBytes != null && patch.dropPartTimes === undefined ? { ...next, dropPartTimes: 1 } : next;
}

/** The counted faults `take` can consume. */
export type CountedFault = (typeof COUNTS)[number];
