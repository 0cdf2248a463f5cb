/**
 * Faults the FTP simulator produces on demand. Counted faults (`…Times`) fire that many times and
 * then stop, so a client that retries gets through; the others hold until cleared.
 */
export interface FtpFaults {
  /** Connections are refused (the port is closed) until this wall-clock time (ms). */
  readonly refuseUntilMs: number;
  /** The data connection of an upload or download is cut after this many bytes of that transfer. */
  readonly dropDataAfterBytes: number | null;
  readonly dropDataTimes: number;
  /** The server stops reading a transfer's data connection for `stallMs` after this many bytes. */
  readonly stallAfterBytes: number | null;
  readonly stallMs: number;
  readonly stallTimes: number;
  /** `552` after this many bytes of one upload. */
  readonly noSpaceAfterBytes: number | null;
  readonly noSpaceTimes: number;
  /** `552` once the files under the root would exceed this many bytes (a full disk). */
  readonly quotaBytes: number | null;
  /** `550 No such file or directory` on this many RNFR commands. */
  readonly rnfr550Times: number;
  /** The rename is done but the control connection is cut before the reply, this many times. */
  readonly loseRenameReplyTimes: number;
  /** Every `*.part` file is deleted when a client disconnects (a cleanup job on the server). */
  readonly deletePartsOnDisconnect: boolean;
  /** SIZE and REST answer 502 and are left out of FEAT. */
  readonly noSizeRest: boolean;
  /** Each transfer's data connection is held to this many bytes per second. */
  readonly bandwidthBytesPerSec: number | null;
}

export const NO_FAULTS: FtpFaults = {
  refuseUntilMs: 0,
  dropDataAfterBytes: null,
  dropDataTimes: 0,
  stallAfterBytes: null,
  stallMs: 0,
  stallTimes: 0,
  noSpaceAfterBytes: null,
  noSpaceTimes: 0,
  quotaBytes: null,
  rnfr550Times: 0,
  loseRenameReplyTimes: 0,
  deletePartsOnDisconnect: false,
  noSizeRest: false,
  bandwidthBytesPerSec: null,
};

/** What tests, the CLI and the control API send: any subset, plus `refuseForMs` relative to now. */
export type FaultPatch = Partial<Omit<FtpFaults, 'refuseUntilMs'>> & { readonly refuseForMs?: number };

const NULLABLE_NUMBERS = ['dropDataAfterBytes', 'stallAfterBytes', 'noSpaceAfterBytes', 'quotaBytes', 'bandwidthBytesPerSec'] as const;
const COUNTS = ['dropDataTimes', 'stallMs', 'stallTimes', 'noSpaceTimes', 'rnfr550Times', 'loseRenameReplyTimes', 'refuseForMs'] as const;
const FLAGS = ['deletePartsOnDisconnect', 'noSizeRest'] as const;

/** Checks a patch from the outside world; throws naming the bad field. */
export function parseFaultPatch(input: unknown): FaultPatch {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('faults: expected a JSON object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if ((NULLABLE_NUMBERS as readonly string[]).includes(key)) {
      if (value !== null && !(typeof value === 'number' && value >= 0)) throw new Error(`faults.${key}: expected a number ≥ 0 or null`);
    } else if ((COUNTS as readonly string[]).includes(key)) {
      if (!(typeof value === 'number' && value >= 0)) throw new Error(`faults.${key}: expected a number ≥ 0`);
    } else if ((FLAGS as readonly string[]).includes(key)) {
      if (typeof value !== 'boolean') throw new Error(`faults.${key}: expected true or false`);
    } else {
      throw new Error(`faults.${key}: unknown fault`);
    }
    out[key] = value;
  }
  return out as FaultPatch;
}

export function applyFaultPatch(current: FtpFaults, patch: FaultPatch, nowMs: number): FtpFaults {
  const { refuseForMs, ...rest } = patch;
  const next: FtpFaults = { ...current, ...rest };
  const withDefaults = {
    ...next,
    // A fault given without a count fires once.
    dropDataTimes: patch.dropDataAfterBytes != null && patch.dropDataTimes === undefined ? 1 : next.dropDataTimes,
    stallTimes: patch.stallAfterBytes != null && patch.stallTimes === undefined ? 1 : next.stallTimes,
    noSpaceTimes: patch.noSpaceAfterBytes != null && patch.noSpaceTimes === undefined ? 1 : next.noSpaceTimes,
  };
  return refuseForMs === undefined ? withDefaults : { ...withDefaults, refuseUntilMs: nowMs + refuseForMs };
}
