const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** An instant known only to within `precisionMs`: it lies in [ms, ms + precisionMs). */
export interface TimeReading {
  readonly ms: number;
  /** 1 (milliseconds), 1000 (seconds), 60 000 (a LIST "HH:MM"), 86 400 000 (a LIST year), Infinity (unreadable). */
  readonly precisionMs: number;
}

const UNREADABLE: TimeReading = { ms: 0, precisionMs: Infinity };

/**
 * Reads the date column of a Unix LIST line ("Nov 25 08:37" within six months: minute precision;
 * "Nov 25  2025" after: day precision), as UTC. A date without a year is put in the last twelve
 * months, as `ls` does. Unreadable → 0 with unknown precision, so a file still lists (its identity
 * then rests on its size).
 */
export function readListDate(raw: string, nowMs: number): TimeReading {
  const m = /^([a-z]{3})\s+(\d{1,2})\s+(?:(\d{1,2}):(\d{2})|(\d{4}))$/i.exec(raw.trim());
  if (!m) {
    const parsed = Date.parse(raw);
    if (!Number.isFinite(parsed)) return UNREADABLE;
    // Other forms passed through (ISO and the like) are as precise as their last field.
    const precisionMs = /:\d{2}:\d{2}\.\d/.test(raw) ? 1 : /:\d{2}:\d{2}/.test(raw) ? 1000 : /\d:\d{2}/.test(raw) ? MINUTE_MS : DAY_MS;
    return { ms: parsed, precisionMs };
  }
  const month = MONTHS.indexOf((m[1] ?? '').toLowerCase());
  if (month < 0) return UNREADABLE;
  const day = Number(m[2]);
  if (m[5] !== undefined) return { ms: Date.UTC(Number(m[5]), month, day), precisionMs: DAY_MS };
  const now = new Date(nowMs);
  let year = now.getUTCFullYear();
  const at = Date.UTC(year, month, day, Number(m[3]), Number(m[4]));
  if (at > nowMs + 24 * 3600_000) year -= 1;
  return { ms: Date.UTC(year, month, day, Number(m[3]), Number(m[4])), precisionMs: MINUTE_MS };
}

/** `readListDate`'s instant alone (0 when unreadable). */
export function parseListDate(raw: string, nowMs: number): number {
  return readListDate(raw, nowMs).ms;
}

/**
 * Reads an RFC 3659 time-val ("20261125083753" or "20261125083753.974", UTC), as MDTM answers and
 * MLSD's `modify` fact carry it, with the precision its digits give. Undefined when malformed.
 */
export function readTimeVal(text: string): TimeReading | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = ''] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) + Number(frac.padEnd(3, '0').slice(0, 3));
  if (!Number.isFinite(ms)) return undefined;
  return { ms, precisionMs: frac.length >= 3 ? 1 : 10 ** (3 - frac.length) };
}

/** Whether two readings can be the same instant (their intervals overlap). */
export function sameInstant(a: TimeReading, b: TimeReading): boolean {
  return a.ms < b.ms + b.precisionMs && b.ms < a.ms + a.precisionMs;
}
