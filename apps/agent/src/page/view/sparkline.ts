import type { ThroughputPoint } from '../../status/overview';
import { formatRate } from './format';

const W = 300;
const H = 40;

/** The last minute of throughput as an inline SVG: downloads (in) and uploads (out), on one scale. */
export function renderSparkline(points: readonly ThroughputPoint[]): string {
  const max = Math.max(1, ...points.map((p) => Math.max(p.down, p.up)));
  const line = (pick: (p: ThroughputPoint) => number): string =>
    points.map((p, i) => `${((i / Math.max(1, points.length - 1)) * W).toFixed(1)},${(H - (pick(p) / max) * (H - 2) - 1).toFixed(1)}`).join(' ');
  const last = points.at(-1);
  return (
    `<svg class="spark" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="throughput over the last minute">` +
    (points.length > 1 ? `<polyline class="down" points="${line((p) => p.down)}"/><polyline class="up" points="${line((p) => p.up)}"/>` : '') +
    `</svg><p class="legend"><span class="down">■</span> in ${formatRate(last?.down ?? 0)} · <span class="up">■</span> out ${formatRate(last?.up ?? 0)} · peak ${formatRate(max === 1 ? 0 : max)}</p>`
  );
}
