import type { Catalog, CatalogCounts } from '@filesync/store';
import { nonZeroCounts } from '../count-line';
import type { TransferRate } from '../metrics/transfer-rate';
import { type Transfer, transferLine } from './transfer-lines';

/** Transfers shown at most; the rest are counted in one line. */
const MAX_SHOWN = 10;

type HealthMap = Readonly<Record<string, { state?: unknown; cause?: { message?: unknown } }>>;

/** One device per line: `source px4: up`, `target nas: down (connection refused)`. */
function deviceLines(status: unknown): string[] {
  const health = (status as { health?: { sources?: HealthMap; targets?: HealthMap } } | undefined)?.health;
  const lines: string[] = [];
  for (const kind of ['source', 'target'] as const) {
    for (const [id, snap] of Object.entries(health?.[`${kind}s`] ?? {})) {
      const cause = typeof snap.cause?.message === 'string' && snap.state !== 'up' ? ` (${snap.cause.message})` : '';
      lines.push(`${kind} ${id}: ${String(snap.state)}${cause}`);
    }
  }
  return lines;
}

/**
 * What `status --watch` shows now: whether the agent runs, each device's health (from the running
 * agent), the transfers in flight with progress, rate and ETA (offsets from the catalog, rates from
 * successive frames), and the counts per state.
 */
export function watchFrame(catalog: Catalog, agentLine: string, status: unknown, rates: TransferRate): string[] {
  const transfers: Omit<Transfer, 'rate'>[] = [];
  for (const f of catalog.listFiles({ state: 'downloading' })) transfers.push({ kind: 'download', label: `${f.sourceId}:${f.path}`, done: f.downloadOffset, size: f.size });
  // Every upload in flight (SQLite's LIMIT -1): the frame counts those it does not show.
  for (const t of catalog.views.uploading(-1)) {
    const f = catalog.getFile(t.fileId);
    if (f !== undefined) transfers.push({ kind: 'upload', label: `${f.sourceId}:${f.path} → ${t.targetId}`, done: t.offset, size: f.size });
  }
  const perSecond = rates.sample(new Map(transfers.map((t) => [`${t.kind}:${t.label}`, t.done])));
  const counts: CatalogCounts = catalog.counts();
  const lines = [`agent: ${agentLine}`, ...deviceLines(status)];
  lines.push(transfers.length === 0 ? 'nothing moving' : `${transfers.length} transfer${transfers.length === 1 ? '' : 's'} in flight:`);
  for (const t of transfers.slice(0, MAX_SHOWN)) lines.push(`  ${transferLine({ ...t, rate: perSecond.get(`${t.kind}:${t.label}`) ?? 0 })}`);
  if (transfers.length > MAX_SHOWN) lines.push(`  … and ${transfers.length - MAX_SHOWN} more`);
  lines.push(`files: ${nonZeroCounts(counts.files)}`);
  return lines;
}
