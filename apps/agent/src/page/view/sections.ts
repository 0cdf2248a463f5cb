import type { DeliveryView, FileView, Overview, PageView, TreeNodeView } from '../../status/overview';
import { esc, formatBytes, formatDuration, formatRate, isWebAddress, percent } from './format';
import { renderSparkline } from './sparkline';

/**
 * The page's sections as HTML strings, from the API's JSON: the server renders the first view with
 * them and the script re-renders a section with the same function when an update arrives, so both
 * always show the same thing. Every value from the catalog or a device is escaped.
 */

export function renderDevices(o: Overview): string {
  if (o.devices.length === 0) return '<p class="muted">No device has reported yet.</p>';
  return (
    '<ul class="devices">' +
    o.devices
      .map(
        (d) =>
          `<li class="device ${esc(d.state)}" data-device="${esc(d.id)}"><b>${esc(d.id)}</b> <span class="badge">${esc(d.state)}</span>` +
          `<span class="role">${esc(d.role)}</span>${d.cause ? `<span class="cause">${esc(d.cause.message)}</span>` : ''}</li>`,
      )
      .join('') +
    '</ul>'
  );
}

export function renderSummary(o: Overview): string {
  const f = o.files;
  const n = (k: string): number => f[k] ?? 0;
  const waiting = n('found') + n('downloading') + n('staged');
  return (
    `<span><b>${n('delivered') + n('removed')}</b> delivered</span><span><b>${waiting}</b> in progress</span>` +
    `<span class="${o.problems > 0 ? 'bad' : ''}"><b>${o.problems}</b> failed</span>` +
    (o.repair ? `<span class="bad">catalog repaired at start: ${esc(o.repair.reason)}</span>` : '')
  );
}

export function renderRoutes(o: Overview): string {
  return (
    '<ul class="routes">' +
    o.routes
      .map(
        (r) =>
          `<li data-route="${esc(r.id)}">${esc(r.source)} → ${esc(r.targets.join(', '))} <span class="muted">${esc(r.policy)}</span>` +
          (r.paused ? ' <span class="badge paused">paused</span>' : '') +
          `<button type="button" data-action="${r.paused ? 'resume' : 'pause'}" data-route="${esc(r.id)}">${r.paused ? 'Resume' : 'Pause'}</button></li>`,
      )
      .join('') +
    '</ul>'
  );
}

export function renderTransfers(o: Overview): string {
  if (o.transfers.length === 0) return '<p class="muted">Nothing is moving.</p>';
  return (
    '<ul class="transfers">' +
    o.transfers
      .map((t) => {
        const where = t.direction === 'download' ? `${esc(t.sourceId)} → staging` : `→ ${esc(t.targetId ?? '')}`;
        const p = percent(t.bytes, t.size);
        return (
          `<li data-file="${esc(t.fileId)}"><div class="row"><span class="path">${esc(t.path)}</span><span class="muted">${where}</span></div>` +
          `<progress max="100" value="${p}">${p}%</progress>` +
          `<div class="row muted"><span>${formatBytes(t.bytes)} of ${formatBytes(t.size)} (${p}%)</span><span>${formatRate(t.rate)} · ETA ${formatDuration(t.etaSec)}</span></div></li>`
        );
      })
      .join('') +
    '</ul>' +
    (o.moreTransfers > 0 ? `<p class="muted">and ${o.moreTransfers} more</p>` : '')
  );
}

export function renderThroughput(o: Overview): string {
  return renderSparkline(o.throughput);
}

/** Where a copy is on its target: the receipt as a link when it is a web address, and the target path. */
function receiptOf(targetId: string, receipt: string | null, targetPath: string): string {
  // A file-system or FTP target's receipt is usually the target path itself: say it once.
  const link = isWebAddress(receipt) ? ` <a href="${esc(receipt)}" rel="noreferrer" target="_blank">${esc(receipt)}</a>` : receipt && receipt !== targetPath ? ` ${esc(receipt)}` : '';
  return `<span class="target">${esc(targetId)}: <code>${esc(targetPath)}</code>${link}</span>`;
}

/** Previous / next links of a list; `param` is that list's offset in the page's query. */
function pager(page: PageView<unknown>, param: string, query: Readonly<Record<string, string>>): string {
  if (page.total <= page.limit) return '';
  const link = (offset: number, text: string): string => {
    const q = new URLSearchParams({ ...query, [param]: String(offset) });
    return `<a href="?${esc(q.toString())}" data-nav="${esc(param)}" data-offset="${offset}">${text}</a>`;
  };
  const from = page.offset + 1;
  const to = Math.min(page.total, page.offset + page.items.length);
  return (
    `<nav class="pager">${page.offset > 0 ? link(Math.max(0, page.offset - page.limit), '‹ newer') : ''}` +
    `<span>${from}–${to} of ${page.total}</span>` +
    `${to < page.total ? link(page.offset + page.limit, 'older ›') : ''}</nav>`
  );
}

export function renderFailures(page: PageView<FileView>, query: Readonly<Record<string, string>>): string {
  if (page.total === 0) return '<p class="muted">No failures.</p>';
  return (
    '<ul class="failures">' +
    page.items
      .map((f) => {
        const failedTargets = f.targets.filter((t) => t.state === 'failed');
        const tries = (n: number): string => ` <span class="muted">(${n} attempt${n === 1 ? '' : 's'})</span>`;
        const reasons = [
          ...(f.state === 'failed' ? [`${esc(f.reason ?? 'failed')}${tries(f.attempts)}`] : []),
          ...failedTargets.map((t) => `${esc(t.targetId)}: ${esc(t.reason ?? 'failed')}${tries(t.attempts)}`),
        ];
        return (
          `<li data-file="${esc(f.fileId)}"><div class="row"><span class="path">${esc(f.sourceId)}: ${esc(f.path)}</span>` +
          `<button type="button" data-action="retry" data-file="${esc(f.fileId)}">Retry</button></div>` +
          `<div class="reason">${reasons.join('<br>') || esc(f.state)}</div></li>`
        );
      })
      .join('') +
    '</ul>' +
    pager(page, 'fo', query)
  );
}

export function renderDeliveries(page: PageView<DeliveryView>, query: Readonly<Record<string, string>>): string {
  if (page.total === 0) return `<p class="muted">${query['q'] ? 'No delivery matches.' : 'Nothing delivered yet.'}</p>`;
  return (
    '<ul class="deliveries">' +
    page.items
      .map(
        (d) =>
          `<li data-file="${esc(d.fileId)}"><div class="row"><span class="path">${esc(d.sourceId)}: ${esc(d.path)}</span>` +
          `<span class="muted">${formatBytes(d.size)} · ${esc(new Date(d.at).toISOString().slice(11, 19))}</span></div>${receiptOf(d.targetId, d.receipt, d.targetPath)}</li>`,
      )
      .join('') +
    '</ul>' +
    pager(page, 'do', query)
  );
}

export function renderFiles(page: PageView<FileView>, query: Readonly<Record<string, string>>): string {
  if (page.total === 0) return '<p class="muted">No file matches.</p>';
  return (
    '<table class="files"><thead><tr><th>File</th><th>State</th><th>Targets</th></tr></thead><tbody>' +
    page.items
      .map(
        (f) =>
          `<tr data-file="${esc(f.fileId)}"><td class="path">${esc(f.sourceId)}: ${esc(f.path)} <span class="muted">${formatBytes(f.size)}</span></td>` +
          `<td><span class="badge ${esc(f.state)}">${esc(f.state)}</span></td>` +
          `<td>${f.targets.map((t) => `<div>${esc(t.targetId)} <span class="badge ${esc(t.state)}">${esc(t.state)}</span>${isWebAddress(t.receipt) ? ` <a href="${esc(t.receipt)}" rel="noreferrer" target="_blank">receipt</a>` : ''}</div>`).join('')}</td></tr>`,
      )
      .join('') +
    '</tbody></table>' +
    pager(page, 'o', query)
  );
}

export function renderTree(tree: TreeNodeView | undefined): string {
  if (!tree) return '<p class="muted">The tree is not running.</p>';
  const node = (n: TreeNodeView): string =>
    `<li><b>${esc(n.id)}</b> <span class="badge ${esc(n.state)}">${esc(n.state)}</span>` +
    `<span class="muted">${n.strategy ? ` ${esc(n.strategy)}` : ''}${n.uptimeMs === undefined ? '' : ` up ${formatDuration(n.uptimeMs / 1000)}`} · ${n.restarts} restarts</span>` +
    (n.children && n.children.length > 0 ? `<ul>${n.children.map(node).join('')}</ul>` : '') +
    '</li>';
  return `<ul class="tree">${node(tree)}</ul>`;
}
