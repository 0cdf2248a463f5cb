/** Small helpers so every benchmark reports the same kind of figure the same way. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function ratePerSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((count * 1000) / elapsedMs) : Number.POSITIVE_INFINITY;
}

/** Rounds a millisecond figure for the JSON line (0.01 ms resolution is plenty). */
export function ms(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Rounds a figure for the JSON line to `digits` decimals. */
export function round(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}
