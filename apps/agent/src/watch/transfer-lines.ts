import { percent } from '../page/view/format';
import { etaSeconds } from '../status/progress-sampler';

/** One transfer in flight, as the terminal shows it. */
export interface Transfer {
  /** `download` from a source into staging, or `upload` to a target. */
  readonly kind: 'download' | 'upload';
  /** `px4:log/01.ulg`, or `px4:log/01.ulg → nas`. */
  readonly label: string;
  readonly done: number;
  readonly size: number;
  /** Bytes per second over the last seconds; 0 when nothing moved. */
  readonly rate: number;
}

const BAR = 20;

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** `m:ss` or `h:mm:ss`; `--:--` when nothing moves (no honest estimate). */
export function eta(remaining: number, rate: number): string {
  const s = etaSeconds(remaining, rate);
  if (s === undefined) return '--:--';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** `[#########-----------]  45%  12.3 MiB/27.0 MiB  1.2 MiB/s  ETA 0:12  px4:log/01.ulg` */
export function transferLine(t: Transfer): string {
  const fraction = t.size > 0 ? Math.min(1, t.done / t.size) : 1;
  const filled = Math.round(fraction * BAR);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}]`;
  const pct = `${percent(t.done, t.size)}%`.padStart(4);
  const rate = t.rate > 0 ? `${humanBytes(Math.round(t.rate))}/s` : 'stalled';
  return `${t.kind === 'download' ? '↓' : '↑'} ${bar} ${pct}  ${humanBytes(t.done)}/${humanBytes(t.size)}  ${rate}  ETA ${eta(t.size - t.done, t.rate)}  ${t.label}`;
}
