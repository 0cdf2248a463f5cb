/** Text for humans: escaping for HTML, sizes, rates and durations. Shared by the server and the page. */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Everything that came from a device (paths, reasons) goes through this before it becomes HTML. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

export function formatRate(bytesPerSec: number | undefined): string {
  return bytesPerSec === undefined ? '–' : `${formatBytes(bytesPerSec)}/s`;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '–';
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** A receipt becomes a link only when it is a web address: a `javascript:` receipt must never be clickable. */
export function isWebAddress(text: string | null): text is string {
  return text !== null && /^https?:\/\//i.test(text);
}

export function percent(part: number, whole: number): number {
  return whole <= 0 ? 100 : Math.min(100, Math.floor((part / whole) * 100));
}
