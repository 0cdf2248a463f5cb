import type { DeliveryView, FileView, Overview, PageView } from '../../status/overview';
import {
  renderDeliveries,
  renderDevices,
  renderFailures,
  renderFiles,
  renderRoutes,
  renderSummary,
  renderThroughput,
  renderTransfers,
  renderTree,
} from './sections';

/** Rows per list on the page. */
export const LIST_SIZES = { failures: 10, deliveries: 10, files: 25 } as const;

/** What the page's address says: the search, the files' state filter and each list's offset. */
export interface PageQuery {
  readonly q: string;
  readonly state: string;
  /** Offsets of the files, failures and deliveries lists. */
  readonly o: number;
  readonly fo: number;
  readonly do: number;
}

export interface PageState {
  readonly overview: Overview;
  readonly failures: PageView<FileView>;
  readonly deliveries: PageView<DeliveryView>;
  readonly files: PageView<FileView>;
  readonly query: PageQuery;
}

/** The query as the pager links keep it (offsets at 0 and empty fields left out). */
export function queryParams(q: PageQuery, token: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (token) out['token'] = token;
  if (q.q) out['q'] = q.q;
  if (q.state) out['state'] = q.state;
  for (const k of ['o', 'fo', 'do'] as const) if (q[k] > 0) out[k] = String(q[k]);
  return out;
}

/** API paths of the three lists for a query (relative, so the page works under any prefix). */
export function listUrls(q: PageQuery, token: string | undefined): { failures: string; deliveries: string; files: string } {
  const url = (path: string, params: Record<string, string>): string => `${path}?${new URLSearchParams({ ...(token ? { token } : {}), ...params }).toString()}`;
  return {
    failures: url('api/files', { state: 'problems', q: q.q, offset: String(q.fo), limit: String(LIST_SIZES.failures) }),
    deliveries: url('api/deliveries', { q: q.q, offset: String(q.do), limit: String(LIST_SIZES.deliveries) }),
    files: url('api/files', { ...(q.state ? { state: q.state } : {}), q: q.q, offset: String(q.o), limit: String(LIST_SIZES.files) }),
  };
}

/** Each section of the page by its element id, rendered from the state. */
export function renderSections(s: PageState, token: string | undefined): Record<string, string> {
  const query = queryParams(s.query, token);
  return {
    summary: renderSummary(s.overview),
    devices: renderDevices(s.overview),
    routes: renderRoutes(s.overview),
    transfers: renderTransfers(s.overview),
    throughput: renderThroughput(s.overview),
    failures: renderFailures(s.failures, query),
    deliveries: renderDeliveries(s.deliveries, query),
    files: renderFiles(s.files, query),
    tree: renderTree(s.overview.tree),
  };
}
