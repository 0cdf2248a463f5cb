import { type CountedFault, type FaultPatch, NO_FAULTS, type S3Faults, applyFaultPatch } from './faults';

export interface S3Counters {
  /** Requests per S3 operation (`PutObject`, `UploadPart`, …), faulted ones included. */
  requests: Record<string, number>;
  /** Body bytes that arrived per `bucket/key` (as sent on the wire, dropped parts and retries included). */
  bytesReceived: Record<string, number>;
  /** Error answers per S3 error code, injected ones included. */
  errors: Record<string, number>;
  /** How many times each fault fired. */
  faultsFired: Record<string, number>;
}

/** An UploadPart whose body is arriving now (control API `partsReceiving`): where a chaos run aims its cuts. */
export interface PartReceiving {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly partNumber: number;
  /** Body bytes (as sent on the wire) arrived so far. */
  received: number;
  /** The body's declared length (Content-Length, or the decoded length of an aws-chunked body); null if not sent. */
  readonly declared: number | null;
  /** When its request came (ms since the epoch): a client killed mid-body leaves its part here until the socket's end is read. */
  readonly startedAt: number;
}

function emptyCounters(): S3Counters {
  return { requests: {}, bytesReceived: {}, errors: {}, faultsFired: {} };
}

/** The simulator's mutable state besides the store: faults and counters, shared by the S3 and control APIs. */
export class SimState {
  faults: S3Faults = NO_FAULTS;
  counters: S3Counters = emptyCounters();
  /** Parts being received, until their body ends (stored, refused or cut). */
  readonly receiving = new Set<PartReceiving>();

  setFaults(patch: FaultPatch): S3Faults {
    this.faults = applyFaultPatch(this.faults, patch);
    return this.faults;
  }

  clearFaults(): S3Faults {
    this.faults = NO_FAULTS;
    return this.faults;
  }

  resetCounters(): void {
    this.counters = emptyCounters();
  }

  /** Consumes one firing of a counted fault; true if it fires now. */
  take(fault: CountedFault): boolean {
    if (this.faults[fault] <= 0) return false;
    this.faults = { ...this.faults, [fault]: this.faults[fault] - 1 };
    this.fired(fault);
    return true;
  }

  fired(fault: keyof S3Faults): void {
    this.counters.faultsFired[fault] = (this.counters.faultsFired[fault] ?? 0) + 1;
  }

  countRequest(operation: string): void {
    this.counters.requests[operation] = (this.counters.requests[operation] ?? 0) + 1;
  }

  countError(code: string): void {
    this.counters.errors[code] = (this.counters.errors[code] ?? 0) + 1;
  }

  countBytes(bucket: string, key: string, n: number): void {
    const k = `${bucket}/${key}`;
    this.counters.bytesReceived[k] = (this.counters.bytesReceived[k] ?? 0) + n;
  }
}
