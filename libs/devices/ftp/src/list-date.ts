const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Reads the date column of a Unix LIST line ("Nov 25 08:37" within six months, else "Nov 25  2025"),
 * as UTC. A date without a year is put in the last twelve months, as `ls` does. Unparsable → 0, so a
 * file still lists (its identity then rests on its size).
 */
export function parseListDate(raw: string, nowMs: number): number {
  const m = /^([a-z]{3})\s+(\d{1,2})\s+(?:(\d{1,2}):(\d{2})|(\d{4}))$/i.exec(raw.trim());
  if (!m) {
    const parsed = Date.parse(raw);
    return Number.isFinite(parsed) ? parsed : 0;
  }
  const month = MONTHS.indexOf((m[1] ?? '').toLowerCase());
  if (month < 0) return 0;
  const day = Number(m[2]);
  if (m[5] !== undefined) return Date.UTC(Number(m[5]), month, day);
  const now = new Date(nowMs);
  let year = now.getUTCFullYear();
  const at = Date.UTC(year, month, day, Number(m[3]), Number(m[4]));
  if (at > nowMs + 24 * 3600_000) year -= 1;
  return Date.UTC(year, month, day, Number(m[3]), Number(m[4]));
}
